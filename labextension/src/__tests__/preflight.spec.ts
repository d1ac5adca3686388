/** The preflight client: debounce, dropped stale answers, silence when busy or not NeuroLake. */

import { piiVerdicts, renderPreflight } from '../preflight/bar';
import { CommsOverSubshells } from '@jupyterlab/services';

import {
  BUSY_RETRY_MS,
  IPreflightComm,
  IPreflightKernel,
  IPreflightReply,
  isNeuroLakeCell,
  PreflightClient
} from '../preflight/client';
import { ICost } from '../report/types';

class FakeComm implements IPreflightComm {
  isDisposed = false;
  commsOverSubshells?: CommsOverSubshells;
  sent: { id: number; code: string }[] = [];
  onMsg: (msg: { content: { data: unknown } }) => void = () => undefined;
  open(): void {}
  send(data: unknown): void {
    this.sent.push(data as { id: number; code: string });
  }
  close(): void {
    this.isDisposed = true;
  }
  reply(id: number, result: IPreflightReply['result'] = { cost: null }): void {
    this.onMsg({ content: { data: { id, kind: 'sql', result } } });
  }
}

class FakeKernel implements IPreflightKernel {
  status = 'idle';
  isDisposed = false;
  comm = new FakeComm();
  opened = 0;
  createComm(target: string): IPreflightComm {
    expect(target).toBe('neurolake.preflight');
    this.opened++;
    return this.comm;
  }
}

describe('PreflightClient', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  function client(kernel: IPreflightKernel | null) {
    const results: string[] = [];
    let cleared = 0;
    const c = new PreflightClient(() => kernel, {
      delay: 200,
      onResult: (_reply, code) => results.push(code),
      onClear: () => cleared++
    });
    return { c, results, cleared: () => cleared };
  }

  it('sends one request per pause in typing, with the latest text', () => {
    const kernel = new FakeKernel();
    const { c } = client(kernel);
    for (const text of [
      '%%sql\nS',
      '%%sql\nSE',
      '%%sql\nSEL',
      '%%sql\nSELECT 1'
    ]) {
      c.update(text);
      jest.advanceTimersByTime(50);
    }
    expect(kernel.comm.sent).toEqual([]);
    jest.advanceTimersByTime(200);
    expect(kernel.comm.sent.map(m => m.code)).toEqual(['%%sql\nSELECT 1']);
    expect(c.sent).toBe(1);
    expect(kernel.opened).toBe(1);
  });

  it('drops the answer to text the user has typed past', () => {
    const kernel = new FakeKernel();
    const { c, results } = client(kernel);
    c.update('%%sql\nSELECT a');
    jest.advanceTimersByTime(250);
    const first = kernel.comm.sent[0].id;
    c.update('%%sql\nSELECT ab'); // typed on while the kernel was answering
    kernel.comm.reply(first);
    expect(results).toEqual([]);
    expect(c.dropped).toBe(1);
    jest.advanceTimersByTime(250);
    kernel.comm.reply(kernel.comm.sent[1].id);
    expect(results).toEqual(['%%sql\nSELECT ab']);
  });

  it('stays silent while the kernel is busy, for Python, and without a kernel', () => {
    const kernel = new FakeKernel();
    kernel.status = 'busy';
    const { c, cleared } = client(kernel);
    c.update('%%sql\nSELECT 1');
    jest.advanceTimersByTime(2000);
    expect(kernel.comm.sent).toEqual([]);
    kernel.status = 'idle'; // the cell ended: the text still waiting goes now, once
    jest.advanceTimersByTime(2000);
    expect(kernel.comm.sent.map(m => m.code)).toEqual(['%%sql\nSELECT 1']);
    kernel.comm.sent = [];
    c.update('x = 1');
    jest.advanceTimersByTime(500);
    expect(kernel.comm.sent).toEqual([]);
    expect(cleared()).toBe(1);
    const none = client(null);
    none.c.update('%%nl\nhow many');
    jest.advanceTimersByTime(500);
    expect(none.c.sent).toBe(0);
  });

  it('stays silent when the kernel has no preflight target', () => {
    const kernel = new FakeKernel();
    kernel.createComm = () => {
      throw new Error('no such target');
    };
    const { c } = client(kernel);
    c.update('%%sql\nSELECT 1');
    expect(() => jest.advanceTimersByTime(500)).not.toThrow();
    expect(c.sent).toBe(0);
  });

  it('opens its comm on the main shell, never a subshell', () => {
    const kernel = new FakeKernel();
    const { c } = client(kernel);
    c.update('%%sql\nSELECT 1');
    jest.advanceTimersByTime(250);
    expect(kernel.comm.commsOverSubshells).toBe('disabled');
  });

  it('asks again when the kernel answers that a cell was running', () => {
    const kernel = new FakeKernel();
    const { c, results } = client(kernel);
    c.update('%%sql\nSELECT 1');
    jest.advanceTimersByTime(250);
    const busy = (id: number) =>
      kernel.comm.onMsg({
        content: { data: { id, kind: 'busy', result: null } }
      });
    busy(kernel.comm.sent[0].id);
    expect(results).toEqual([]);
    jest.advanceTimersByTime(BUSY_RETRY_MS);
    expect(kernel.comm.sent.map(m => m.code)).toEqual([
      '%%sql\nSELECT 1',
      '%%sql\nSELECT 1'
    ]);
    kernel.comm.reply(kernel.comm.sent[1].id);
    expect(results).toEqual(['%%sql\nSELECT 1']);
    // a busy answer to text typed past is dropped, not retried
    c.update('%%sql\nSELECT 2');
    jest.advanceTimersByTime(250);
    c.update('%%sql\nSELECT 23');
    busy(kernel.comm.sent[2].id);
    jest.advanceTimersByTime(250);
    expect(kernel.comm.sent.map(m => m.code).slice(2)).toEqual([
      '%%sql\nSELECT 2',
      '%%sql\nSELECT 23'
    ]);
  });

  it('records where the time of the last answer went', () => {
    const kernel = new FakeKernel();
    const { c } = client(kernel);
    c.update('%%sql\nSELECT 1');
    jest.advanceTimersByTime(250);
    kernel.comm.onMsg({
      content: {
        data: { id: kernel.comm.sent[0].id, kind: 'sql', ms: 7.5, result: {} }
      }
    });
    const t = c.lastTiming;
    expect(t?.kernelMs).toBe(7.5);
    expect(t && t.sentAt - t.changedAt).toBeGreaterThanOrEqual(200);
    expect(t && t.receivedAt >= t.sentAt).toBe(true);
  });

  it('sends nothing after dispose', () => {
    const kernel = new FakeKernel();
    const { c } = client(kernel);
    c.update('%%sql\nSELECT 1');
    c.dispose();
    jest.advanceTimersByTime(500);
    expect(kernel.comm.sent).toEqual([]);
  });

  it('reads %%sql, %%nl and %sql cells only', () => {
    expect(isNeuroLakeCell('%%sql -o r\nSELECT 1')).toBe(true);
    expect(isNeuroLakeCell('\n%%nl\nhow many')).toBe(true);
    expect(isNeuroLakeCell('%sql SELECT 1')).toBe(true);
    expect(isNeuroLakeCell('%%sqlx\n')).toBe(false);
    expect(isNeuroLakeCell('print(1)')).toBe(false);
  });
});

describe('the preflight bar', () => {
  const reply: IPreflightReply = {
    id: 1,
    kind: 'sql',
    result: {
      cost: {
        predicted_ms: 20.4,
        estimated_rows: 5000,
        estimated_bytes: 76186,
        confidence: 0.2,
        suggestions: [
          {
            message: 'filter by date range',
            rewrite: 'SELECT 1',
            severity: 'info'
          }
        ],
        interval_ms: { low: 4.1, high: 101.5 }
      },
      compliance: {
        pii_columns: [
          { column: 'retail.customers.email', entity: 'EMAIL_ADDRESS' },
          { column: 'retail.customers.phone', entity: 'PHONE_NUMBER' },
          { column: 'retail.customers.ssn', entity: 'US_SSN' }
        ],
        masked: [{ column: 'retail.customers.phone', method: 'hash' }],
        denied: [{ column: 'retail.customers.ssn', policy: 'no-ssn' }],
        row_filters: [],
        warnings: [
          'personal data shown in clear because you own the workspace: retail.customers.email (EMAIL_ADDRESS)'
        ]
      },
      error: null
    }
  };

  it('says what the policy does to each PII column', () => {
    expect(piiVerdicts(reply).map(v => v.action)).toEqual([
      'in clear',
      'masked',
      'denied'
    ]);
  });

  it('shows time, bytes, PII verdicts and the suggestion', () => {
    const node = renderPreflight(reply) as HTMLElement;
    expect(node.querySelector('[data-nl-item="cost"]')?.textContent).toBe(
      '~20.4 ms (4.1 ms\u2013101.5 ms) \u00b7 74.4 KB scanned'
    );
    const pii = Array.from(node.querySelectorAll('[data-nl-item="pii"]'));
    expect(pii.map(p => p.textContent)).toEqual([
      'PII email (EMAIL_ADDRESS): in clear',
      'PII phone (PHONE_NUMBER): masked',
      'PII ssn (US_SSN): denied'
    ]);
    expect(pii[0].classList.contains('nl-severity-warning')).toBe(true);
    expect(pii[2].classList.contains('nl-severity-error')).toBe(true);
    const suggestion = node.querySelector('[data-nl-item="suggestion"]');
    expect(suggestion?.textContent).toContain('filter by date range');
    // a saving of no consequence is not shown in warning orange
    expect(suggestion?.classList.contains('nl-severity-info')).toBe(true);
    expect(node.querySelector('[data-nl-item="join"]')).toBeNull();
  });

  it('warns of a join that multiplies rows before it runs', () => {
    const cross: IPreflightReply = JSON.parse(JSON.stringify(reply));
    const cost = cross.result?.cost as ICost;
    cost.joins = [
      {
        kind: 'cross',
        operator: 'CROSS_PRODUCT',
        tables: ['retail.orders', 'retail.orders'],
        left_rows: 60000,
        right_rows: 60000,
        estimated_rows: 3600000000
      },
      { kind: 'one_to_many', estimated_rows: 60000 }
    ];
    cost.suggestions[0].severity = 'warning';
    const node = renderPreflight(cross) as HTMLElement;
    const joins = node.querySelectorAll('[data-nl-item="join"]');
    expect(joins.length).toBe(1);
    expect(joins[0].textContent).toBe('cross join: ~3,600,000,000 rows');
    expect(joins[0].classList.contains('nl-severity-warning')).toBe(true);
    expect(
      node
        .querySelector('[data-nl-item="suggestion"]')
        ?.classList.contains('nl-severity-warning')
    ).toBe(true);
  });

  it('says a cell the result cache answers costs nothing, instead of a prediction', () => {
    const hit: IPreflightReply = JSON.parse(JSON.stringify(reply));
    hit.result = {
      ...hit.result,
      cached: true,
      cost: {
        predicted_ms: 0,
        estimated_rows: 25,
        estimated_bytes: 0,
        confidence: null,
        suggestions: []
      }
    };
    const node = renderPreflight(hit) as HTMLElement;
    const cached = node.querySelector('[data-nl-item="cached"]');
    expect(cached?.textContent).toBe('from the result cache \u00b7 ~0 ms');
    expect(cached?.getAttribute('title')).toContain('25 rows come back');
    expect(node.querySelector('[data-nl-item="cost"]')).toBeNull();
    expect(node.querySelectorAll('[data-nl-item="pii"]').length).toBe(3);
    const fresh = renderPreflight(reply) as HTMLElement;
    expect(fresh.querySelector('[data-nl-item="cached"]')).toBeNull();
  });

  it('shows nothing for Python or an empty answer', () => {
    expect(renderPreflight({ id: 1, kind: 'python', result: null })).toBeNull();
    expect(
      renderPreflight({
        id: 1,
        kind: 'sql',
        result: {
          cost: null,
          compliance: {
            pii_columns: [],
            masked: [],
            denied: [],
            row_filters: [],
            warnings: []
          }
        }
      })
    ).toBeNull();
  });
});
