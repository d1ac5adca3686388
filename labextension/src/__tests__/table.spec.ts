/** The result table: formatting, NULL, truncation, masking, local sort and kernel pages. */

import { formatBytes, formatNumber } from '../report/format';
import { rendererSettings } from '../report/settings';
import {
  ATTACHED_EVENT,
  IPageEventDetail,
  MAX_CELL_CHARS,
  PAGE_EVENT,
  ResultTable
} from '../report/table';
import { IReport } from '../report/types';

function report(
  rows: (string | number | null)[][],
  truncated = false,
  rowCount?: number
): IReport {
  return {
    version: 1,
    kind: 'sql',
    sql: 'SELECT 1',
    executed_sql: 'SELECT 1',
    result: {
      columns: [
        { name: 'name', type: 'VARCHAR' },
        { name: 'amount', type: 'DECIMAL(18,2)' },
        { name: 'email', type: 'VARCHAR' }
      ],
      rows_preview: rows,
      row_count: rowCount ?? rows.length,
      truncated
    },
    cost: {
      predicted_ms: null,
      estimated_rows: null,
      estimated_bytes: null,
      confidence: null,
      suggestions: []
    },
    lineage: {
      nodes: [],
      edges: [
        {
          source: 'crm.people.email',
          target: 'output.email',
          kind: 'IDENTITY',
          masked: true
        }
      ]
    },
    compliance: {
      pii_columns: [],
      masked: [],
      row_filters: [],
      denied: [],
      warnings: []
    },
    audit_id: null,
    timings: { total_ms: 1 }
  };
}

const cells = (table: ResultTable, col: number) =>
  Array.from(table.node.querySelectorAll('tbody tr')).map(
    tr => (tr.children[col] as HTMLElement).textContent
  );

describe('numbers', () => {
  it('groups thousands and keeps every digit the kernel sent', () => {
    expect(formatNumber(1234567)).toBe('1,234,567');
    expect(formatNumber('-9876543.21')).toBe('-9,876,543.21');
    expect(formatNumber('12345678901234567890')).toBe(
      '12,345,678,901,234,567,890'
    );
    expect(formatNumber(0.5)).toBe('0.5');
    expect(formatNumber('1e21')).toBe('1e21');
    expect(formatBytes(52788)).toBe('51.6 KB');
    expect(formatBytes(12)).toBe('12 B');
  });
});

describe('ResultTable', () => {
  beforeEach(() => {
    rendererSettings.pageSize = 50;
  });

  it('right-aligns numbers, sets NULL apart, cuts long text with a tooltip, marks masked cells', () => {
    const long = 'x'.repeat(MAX_CELL_CHARS + 20);
    const table = new ResultTable(
      report([
        [long, '1234.50', 'a1b2c3'],
        [null, null, 'd4e5f6']
      ])
    );
    const rows = table.node.querySelectorAll('tbody tr');
    const first = rows[0].children;
    expect(first[0].textContent?.endsWith('\u2026')).toBe(true);
    expect((first[0] as HTMLElement).title).toBe(long);
    expect(first[1].textContent).toBe('1,234.50');
    expect(first[1].className).toBe('nl-number');
    expect(first[2].classList.contains('nl-masked')).toBe(true);
    expect(rows[1].children[0].className).toBe('nl-null');
    expect(rows[1].children[0].textContent).toBe('NULL');
    const th = table.node.querySelectorAll('th')[2] as HTMLElement;
    expect(th.classList.contains('nl-masked-column')).toBe(true);
  });

  it('sorts a whole result in the browser, NULLs last, then the other way', async () => {
    const table = new ResultTable(
      report([
        ['b', '10', 'x'],
        ['a', null, 'y'],
        ['c', '9', 'z']
      ])
    );
    await table.sortBy('amount');
    expect(cells(table, 1)).toEqual(['9', '10', 'NULL']);
    await table.sortBy('amount');
    expect(cells(table, 1)).toEqual(['10', '9', 'NULL']);
    expect(
      table.node
        .querySelector('th[aria-sort="descending"]')
        ?.getAttribute('data-column')
    ).toBe('amount');
  });

  it('pages a small result locally with the page size setting', async () => {
    rendererSettings.pageSize = 2;
    const table = new ResultTable(
      report([
        ['a', 1, 'x'],
        ['b', 2, 'y'],
        ['c', 3, 'z']
      ])
    );
    const status = () =>
      table.node.querySelector('.nl-pager-status')?.textContent;
    expect(status()).toBe('1\u20132 of 3');
    (
      table.node.querySelector('[data-action="next"]') as HTMLButtonElement
    ).click();
    await Promise.resolve();
    expect(status()).toBe('3\u20133 of 3');
    expect(cells(table, 0)).toEqual(['c']);
  });

  it('asks the kernel for other pages and sorted pages of a truncated result', async () => {
    const r = report(
      [
        ['a', 1, 'x'],
        ['b', 2, 'y']
      ],
      true,
      1000
    );
    r.result.result_id = 'r7';
    const table = new ResultTable(r);
    document.body.append(table.node);
    const asked: IPageEventDetail['request'][] = [];
    const handler = (event: Event) => {
      const detail = (event as CustomEvent<IPageEventDetail>).detail;
      detail.handled = true;
      asked.push(detail.request);
      detail.respond({
        offset: detail.request.offset,
        rows: [['z', 999, 'q']],
        row_count: 1000
      });
    };
    document.addEventListener(PAGE_EVENT, handler);
    (
      table.node.querySelector('[data-action="next"]') as HTMLButtonElement
    ).click();
    await new Promise(r => setTimeout(r, 0));
    expect(asked[0]).toEqual({
      resultId: 'r7',
      offset: 2,
      limit: 50,
      sort: []
    });
    expect(table.node.querySelector('.nl-pager-status')?.textContent).toBe(
      '3\u20133 of 1,000'
    );
    await table.sortBy('name');
    expect(asked[1]).toEqual({
      resultId: 'r7',
      offset: 0,
      limit: 50,
      sort: [{ column: 'name', descending: false }]
    });
    document.removeEventListener(PAGE_EVENT, handler);
    table.node.remove();
  });

  it('shows withheld values from the kernel once in the page, the saved preview without it', async () => {
    const r = report([
      ['a', 1, '[withheld]'],
      ['b', 2, '[withheld]']
    ]);
    r.result.result_id = 'r3';
    r.result.withheld = [{ column: 'email', source: 'crm.people.email' }];
    r.lineage.edges = [];
    const offline = new ResultTable(r);
    offline.node.dispatchEvent(new Event(ATTACHED_EVENT)); // no kernel answers
    await new Promise(r => setTimeout(r, 0));
    const cell = offline.node.querySelector('tbody td:nth-child(3)');
    expect(cell?.textContent).toBe('[withheld]');
    expect(cell?.classList.contains('nl-withheld')).toBe(true);
    expect(offline.node.querySelector('.nl-pager-error')?.textContent).toBe('');

    const live = new ResultTable(r);
    document.body.append(live.node);
    const asked: IPageEventDetail['request'][] = [];
    const handler = (event: Event) => {
      const detail = (event as CustomEvent<IPageEventDetail>).detail;
      detail.handled = true;
      asked.push(detail.request);
      detail.respond({
        offset: 0,
        rows: [
          ['a', 1, 'ann@example.com'],
          ['b', 2, 'bob@example.org']
        ],
        row_count: 2
      });
    };
    document.addEventListener(PAGE_EVENT, handler);
    expect(asked).toEqual([]); // only once the renderer says it is in the page
    live.node.dispatchEvent(new Event(ATTACHED_EVENT));
    await new Promise(r => setTimeout(r, 0));
    expect(asked).toEqual([{ resultId: 'r3', offset: 0, limit: 50, sort: [] }]);
    expect(cells(live, 2)).toEqual(['ann@example.com', 'bob@example.org']);
    document.removeEventListener(PAGE_EVENT, handler);
    live.node.remove();
  });

  it('says so when no kernel answers a page request', async () => {
    const r = report([['a', 1, 'x']], true, 100);
    r.result.result_id = 'r1';
    const table = new ResultTable(r);
    await table.go(50);
    expect(table.node.querySelector('.nl-pager-error')?.textContent).toContain(
      'needs the NeuroLake kernel'
    );
  });
});
