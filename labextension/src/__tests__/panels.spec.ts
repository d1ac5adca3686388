/** The Lakehouse and Governance panels over a fake API: tree, insertion, audit filters, PII. */

import { NeuroLakeApi } from '../api/client';
import { GovernancePanel } from '../panels/governance';
import { LakehousePanel } from '../panels/lakehouse';

const tick = () => new Promise(r => setTimeout(r, 0));

function fakeApi(overrides: Partial<Record<keyof NeuroLakeApi, unknown>> = {}) {
  const calls: [string, unknown[]][] = [];
  const table = {
    id: 'retail.customers',
    namespace: 'retail',
    name: 'customers',
    description: 'People',
    rows: 5000,
    snapshot_id: 1,
    last_commit: {
      snapshot_id: 1,
      committed_at: new Date().toISOString(),
      user: 'ann'
    },
    primary_key: ['customer_id'],
    columns: [
      {
        name: 'customer_id',
        type: 'BIGINT',
        description: 'key',
        pii: null,
        pii_source: null
      },
      {
        name: 'email',
        type: 'VARCHAR',
        description: 'Email',
        pii: 'EMAIL_ADDRESS',
        pii_source: 'tag'
      }
    ]
  };
  const base = {
    tables: async () => ({
      items: [
        {
          id: 'retail.customers',
          namespace: 'retail',
          name: 'customers',
          description: 'People',
          columns: 2,
          rows: 5000,
          pii_columns: 1,
          snapshot_id: 1
        }
      ],
      total: 1,
      offset: 0,
      limit: 500
    }),
    table: async () => table,
    snapshots: async () => ({
      items: [
        {
          snapshot_id: 42,
          committed_at: null,
          operation: 'append',
          rows_added: 1,
          rows_removed: 0,
          total_rows: 5000,
          user: 'ann',
          current: true,
          query: 'SELECT * FROM retail.customers FOR VERSION AS OF 42'
        }
      ],
      total: 1,
      offset: 0,
      limit: 10
    }),
    lineage: async (_id: string, direction: string) => ({
      table: 'retail.customers',
      direction,
      tables: direction === 'downstream' ? ['retail.vip'] : [],
      links: [],
      edges: []
    }),
    search: async () => ({
      query: 'mail',
      items: [
        {
          kind: 'column',
          id: 'retail.customers.email',
          table: 'retail.customers',
          column: 'email',
          description: 'Email',
          type: 'VARCHAR',
          pii: 'EMAIL_ADDRESS',
          score: 1
        }
      ]
    }),
    audit: async (...args: unknown[]) => ({
      items: [
        {
          seq: 3,
          id: 'a-000003-x',
          time: new Date().toISOString(),
          user: 'ann',
          kind: 'query',
          decision: 'masked',
          sql: 'SELECT email FROM retail.customers',
          tables: ['retail.customers'],
          masked: ['retail.customers.email'],
          error: null
        }
      ],
      total: 1,
      offset: 0,
      limit: 25,
      args
    }),
    verify: async () => ({
      ok: true,
      records: 3,
      first_bad: null,
      reason: null,
      incomplete_tail: false
    }),
    policies: async () => ({
      path: '/ws/policies.yaml',
      exists: true,
      text: 'rules: []\n',
      version: 'sha256:1',
      source: 'fail-closed',
      mode: 'enforce',
      owner: 'ann',
      errors: [{ message: 'line 2: bad', hint: 'fix it' }],
      rules: 0,
      row_filters: 0
    }),
    status: async () => ({ version: '0', workspace: '/ws', user: 'ann' }),
    pii: async () => ({
      table: 'retail.customers',
      columns: [
        {
          column: 'email',
          entity: 'EMAIL_ADDRESS',
          entities: ['EMAIL_ADDRESS'],
          confidence: 0.97,
          category: 'identifier',
          free_text: false,
          source: 'detected'
        }
      ]
    }),
    setPii: async () => ({ column: 'email', entity: null, source: 'override' }),
    ...overrides
  };
  const api = new Proxy(base, {
    get:
      (target, prop: string) =>
      (...args: unknown[]) => {
        calls.push([prop, args]);
        return (target as Record<string, (...a: unknown[]) => unknown>)[prop](
          ...args
        );
      }
  }) as unknown as NeuroLakeApi;
  return { api, calls };
}

describe('LakehousePanel', () => {
  it('lists tables, opens one with its columns, snapshots and lineage, and inserts names and queries', async () => {
    const { api } = fakeApi();
    const inserted: string[] = [];
    const queries: string[] = [];
    const panel = new LakehousePanel(api, {
      insertName: n => inserted.push(n),
      insertQuery: q => queries.push(q)
    });
    document.body.append(panel.node);
    await panel.refresh();
    expect(panel.node.dataset.neurolake).toBe('lakehouse-panel');
    const name = panel.node.querySelector(
      '[data-neurolake="lakehouse-table"]'
    ) as HTMLElement;
    expect(name.textContent).toBe('customers');
    name.dispatchEvent(new MouseEvent('dblclick', { bubbles: true }));
    expect(inserted).toEqual(['retail.customers']);
    const selected: string[] = [];
    panel.selected.connect((_, t) => selected.push(t));
    const details = panel.node.querySelector(
      'details[data-table="retail.customers"]'
    ) as HTMLDetailsElement;
    details.open = true; // jsdom fires 'toggle', as browsers do
    await tick();
    await tick();
    expect(selected).toEqual(['retail.customers']);
    expect(
      details.querySelector('li[data-column="email"] .nl-pii-tag')?.textContent
    ).toBe('EMAIL_ADDRESS');
    (
      details.querySelector('[data-neurolake="query-as-of"]') as HTMLElement
    ).click();
    expect(queries).toEqual([
      'SELECT * FROM retail.customers FOR VERSION AS OF 42'
    ]);
    const lineage = details.querySelector(
      '[data-neurolake="lakehouse-lineage"]'
    ) as HTMLDetailsElement;
    lineage.open = true;
    await tick();
    await tick();
    expect(lineage.textContent).toContain('retail.vip');
    panel.node.remove();
  });

  it('searches the metadata index after a pause in typing', async () => {
    jest.useFakeTimers();
    const { api, calls } = fakeApi();
    const panel = new LakehousePanel(api, {
      insertName: () => undefined,
      insertQuery: () => undefined
    });
    const box = panel.node.querySelector(
      '[data-neurolake="lakehouse-search"]'
    ) as HTMLInputElement;
    box.value = 'ma';
    box.dispatchEvent(new Event('input'));
    box.value = 'mail';
    box.dispatchEvent(new Event('input'));
    jest.advanceTimersByTime(300);
    jest.useRealTimers();
    await tick();
    expect(calls.filter(([m]) => m === 'search').map(([, a]) => a[0])).toEqual([
      'mail'
    ]);
    expect(
      panel.node.querySelector('[data-neurolake="lakehouse-search-results"]')
        ?.textContent
    ).toContain('retail.customers.email');
  });
});

describe('GovernancePanel', () => {
  it('lists the audit log with filters, verifies it, shows policies with their errors', async () => {
    const { api, calls } = fakeApi();
    const panel = new GovernancePanel(api);
    await panel.refresh();
    expect(panel.node.dataset.neurolake).toBe('governance-panel');
    const record = panel.node.querySelector('[data-audit-id="a-000003-x"]');
    expect(record?.textContent).toContain('masked');
    const decision = panel.node.querySelector(
      '[data-neurolake="audit-decision"]'
    ) as HTMLSelectElement;
    decision.value = 'denied';
    decision.dispatchEvent(new Event('change'));
    await tick();
    const lastAudit = calls.filter(([m]) => m === 'audit').pop();
    expect(lastAudit?.[1][0]).toEqual({
      user: undefined,
      table: undefined,
      decision: 'denied'
    });
    (
      panel.node.querySelector('[data-neurolake="audit-verify"]') as HTMLElement
    ).click();
    await tick();
    expect(
      panel.node.querySelector('[data-neurolake="audit-verify-status"]')
        ?.textContent
    ).toBe('intact: 3 records');
    expect(
      panel.node.querySelector('[data-neurolake="policy-error"]')?.textContent
    ).toContain('line 2: bad');
  });

  it('shows PII confidence, and override controls to the owner only', async () => {
    const { api, calls } = fakeApi();
    const panel = new GovernancePanel(api);
    await panel.refresh();
    await panel.showPii('retail.customers');
    const row = panel.node.querySelector(
      'tr[data-column="email"]'
    ) as HTMLElement;
    expect(row.textContent).toContain('97%');
    const select = row.querySelector('select') as HTMLSelectElement;
    select.value = '';
    select.dispatchEvent(new Event('change'));
    await tick();
    expect(calls.find(([m]) => m === 'setPii')?.[1]).toEqual([
      'retail.customers',
      'email',
      null
    ]);
    const other = fakeApi({
      status: async () => ({ version: '0', workspace: '/ws', user: 'bob' })
    });
    const theirs = new GovernancePanel(other.api);
    await theirs.refresh();
    await theirs.showPii('retail.customers');
    expect(
      theirs.node.querySelector('tr[data-column="email"] select')
    ).toBeNull();
    expect(theirs.node.textContent).toContain('Only the workspace owner (ann)');
  });

  it('says where a tag came from: the owner, or the PII column a write copied', async () => {
    const column = (name: string, source: string, origin?: string[]) => ({
      column: name,
      entity: 'EMAIL_ADDRESS',
      entities: ['EMAIL_ADDRESS'],
      confidence: 0.9,
      category: 'identifier',
      free_text: false,
      source,
      origin
    });
    const { api } = fakeApi({
      pii: async () => ({
        table: 'crm.export',
        columns: [
          column('contact', 'carried', ['retail.customers.email']),
          column('mail', 'override'),
          column('other', 'detected')
        ]
      })
    });
    const panel = new GovernancePanel(api);
    await panel.refresh();
    await panel.showPii('crm.export');
    const text = (name: string) =>
      panel.node.querySelector(`tr[data-column="${name}"]`)?.textContent ?? '';
    expect(text('contact')).toContain('(carried from retail.customers.email)');
    expect(text('contact')).not.toContain('(override)');
    expect(text('mail')).toContain('(override)');
    expect(text('other')).not.toMatch(/override|carried/);
  });
});
