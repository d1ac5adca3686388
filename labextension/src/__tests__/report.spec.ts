/**
 * The report contract, from the TypeScript side: the examples the Python side
 * produces validate against the shared schema, and render as a table and a strip.
 */

import Ajv2020 from 'ajv/dist/2020';
import * as fs from 'fs';
import * as path from 'path';

import { renderReport } from '../report/render';
import { withRewrite } from '../report/rewrite';
import { suggestionSeverity } from '../report/cost';
import { APPLY_REWRITE_EVENT, IDetail, stripItems } from '../report/strip';
import { IReport } from '../report/types';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const SCHEMA_DIR = path.join(ROOT, 'neurolake_lab', 'schema');
const schema = JSON.parse(
  fs.readFileSync(path.join(SCHEMA_DIR, 'report.schema.json'), 'utf8')
);
const examples: [string, IReport][] = fs
  .readdirSync(path.join(SCHEMA_DIR, 'examples'))
  .filter(name => name.endsWith('.json'))
  .map(name => [
    name,
    JSON.parse(
      fs.readFileSync(path.join(SCHEMA_DIR, 'examples', name), 'utf8')
    ) as IReport
  ]);

const validate = new Ajv2020({ strict: false }).compile(schema);

function example(name: string): IReport {
  const found = examples.find(([n]) => n === name);
  if (!found) {
    throw new Error(`no example ${name}`);
  }
  return JSON.parse(JSON.stringify(found[1])) as IReport;
}

describe('report schema', () => {
  it('has examples', () => {
    expect(examples.length).toBeGreaterThanOrEqual(2);
  });

  it.each(examples)('%s validates', (_name, report) => {
    expect(validate(report)).toBe(true);
  });

  it('rejects a report without a result', () => {
    const report = example('sql-groupby.json') as unknown as Record<
      string,
      unknown
    >;
    delete report.result;
    expect(validate(report)).toBe(false);
  });

  it('rejects another version', () => {
    expect(validate({ ...example('sql-groupby.json'), version: 2 })).toBe(
      false
    );
  });
});

describe('renderReport', () => {
  it('renders the table and a strip with rows and time', () => {
    const report = example('sql-groupby.json');
    const node = renderReport(report, document);
    const headers = Array.from(
      node.querySelectorAll('thead th .nl-column-name')
    ).map(th => th.textContent);
    expect(headers).toEqual(['region', 'orders', 'revenue']);
    const rows = node.querySelectorAll('tbody tr');
    expect(rows.length).toBe(2);
    const firstRow = Array.from(rows[0].querySelectorAll('td'));
    expect(firstRow.map(td => td.textContent)).toEqual(['east', '2', '30.50']);
    // numbers (and DECIMAL strings) are right-aligned; text is not
    expect(firstRow[0].classList.contains('nl-number')).toBe(false);
    expect(firstRow[2].classList.contains('nl-number')).toBe(true);
    const rowsItem = node.querySelector('[data-nl-item="rows"]');
    expect(rowsItem?.textContent).toBe('2 rows');
    // predicted beside what it took, in one item
    expect(node.querySelector('[data-nl-item="cost"]')?.textContent).toBe(
      'predicted 2.3 ms \u00b7 took 1.2 ms'
    );
    expect(node.querySelector('[data-nl-item="time"]')).toBeNull();
    report.cost.predicted_ms = null;
    expect(
      renderReport(report, document).querySelector('[data-nl-item="time"]')
        ?.textContent
    ).toBe('1.2 ms');
  });

  it('says how many rows a truncated preview shows', () => {
    const node = renderReport(example('sql-truncated.json'), document);
    expect(node.querySelectorAll('tbody tr').length).toBe(3);
    expect(node.querySelector('[data-nl-item="rows"]')?.textContent).toBe(
      'showing 3 of 1,000,000 rows'
    );
  });

  it('shows NULL muted and nested values as JSON', () => {
    const report = example('sql-groupby.json');
    report.result.rows_preview = [[null, [1, 2], { a: 'x' }]];
    const cells = renderReport(report, document).querySelectorAll('tbody td');
    expect(cells[0].textContent).toBe('NULL');
    expect(cells[0].classList.contains('nl-null')).toBe(true);
    expect(cells[1].textContent).toBe('[1,2]');
    expect(cells[2].textContent).toBe('{"a":"x"}');
  });

  it('renders only the strip for a statement without columns', () => {
    const report = example('sql-groupby.json');
    report.statement_type = 'CREATE';
    report.result = {
      columns: [],
      rows_preview: [],
      row_count: 0,
      truncated: false
    };
    const node = renderReport(report, document);
    expect(node.querySelector('table')).toBeNull();
    expect(node.querySelector('[data-nl-item="rows"]')?.textContent).toBe(
      'CREATE'
    );
  });

  it('shows what the policies did, with the details on click', () => {
    const report = example('sql-groupby.json');
    expect(stripItems(report).map(i => i.id)).toEqual([
      'rows',
      'cost',
      'lineage'
    ]);
    report.compliance.pii_columns = [
      { column: 'crm.people.email', entity: 'EMAIL_ADDRESS' }
    ];
    report.compliance.masked = [
      { column: 'crm.people.email', method: 'hash', policy: 'default' }
    ];
    report.audit_id = 'a-000007-abcdef';
    const item = stripItems(report).find(i => i.id === 'compliance');
    expect(item?.label).toBe('PII: 1 column · 1 masked');
    expect(item?.severity).toBe('info');
    const node = renderReport(report, document);
    const badge = node.querySelector(
      'button[data-nl-item="compliance"]'
    ) as HTMLButtonElement;
    const panel = node.querySelector(
      '[data-nl-details="compliance"]'
    ) as HTMLElement;
    expect(panel.hidden).toBe(true);
    badge.click();
    expect(panel.hidden).toBe(false);
    expect(badge.getAttribute('aria-expanded')).toBe('true');
    expect(panel.textContent).toContain(
      'masked crm.people.email (hash, policy default)'
    );
    expect(panel.textContent).toContain('audit record a-000007-abcdef');
    badge.click();
    expect(panel.hidden).toBe(true);
  });

  it('warns when PII is shown in clear and flags denials as errors', () => {
    const report = example('sql-groupby.json');
    report.compliance.pii_columns = [
      { column: 'a.t.email', entity: 'EMAIL_ADDRESS' }
    ];
    report.compliance.warnings = ['PII shown in clear to the owner'];
    expect(stripItems(report).find(i => i.id === 'compliance')?.severity).toBe(
      'warning'
    );
    report.compliance.denied = [{ column: 'a.t.ssn', policy: 'no-ssn' }];
    expect(stripItems(report).find(i => i.id === 'compliance')?.severity).toBe(
      'error'
    );
  });

  it('summarises lineage; the item opens the graph', () => {
    const report = example('sql-groupby.json');
    const item = stripItems(report).find(i => i.id === 'lineage');
    expect(item?.label).toBe('lineage: 2 columns of 1 table');
    expect(item?.neurolake).toBe('lineage');
    const node = renderReport(report, document);
    const button = node.querySelector(
      '[data-neurolake="lineage"]'
    ) as HTMLElement;
    const panel = node.querySelector(
      '[data-nl-details="lineage"]'
    ) as HTMLElement;
    expect(panel.hidden).toBe(true);
    button.click();
    expect(panel.hidden).toBe(false);
    expect(
      panel.querySelector('[data-neurolake="lineage-graph"]')
    ).not.toBeNull();
    button.click();
    expect(panel.hidden).toBe(true);
  });

  it('flags the kernel\u2019s misprediction beside predicted and took', () => {
    const report = example('sql-cross-join.json');
    const items = stripItems(report);
    expect(items.map(i => i.id)).toEqual([
      'rows',
      'cost',
      'misprediction',
      'lineage'
    ]);
    const [cost, miss] = [items[1], items[2]];
    expect(cost.label).toBe(
      'predicted 73.9 ms \u00b7 took 14.01 s \u00b7 1 suggestion'
    );
    expect(miss.label).toBe('\u26a0 190\u00d7 slower than predicted');
    expect(miss.severity).toBe('warning');
    const node = renderReport(report, document);
    const flag = node.querySelector(
      '[data-neurolake="misprediction"]'
    ) as HTMLElement;
    expect(flag.classList.contains('nl-severity-warning')).toBe(true);
    expect(flag.dataset.direction).toBe('slower');
    expect(flag.title).toContain('more than 5\u00d7');
    const costNode = node.querySelector(
      '[data-neurolake="cost"]'
    ) as HTMLElement;
    expect(costNode.dataset.predictedMs).toBe('73.9');
    expect(costNode.dataset.actualMs).toBe('14012.5');
  });

  it('trusts the kernel\u2019s judgement, and judges old reports by the same 5x', () => {
    const report = example('sql-cross-join.json');
    report.cost.misprediction = null; // e.g. a repeat whose own history says it is fine
    expect(stripItems(report).map(i => i.id)).not.toContain('misprediction');
    report.cost.misprediction = { ratio: 5.9, direction: 'faster', factor: 5 };
    expect(stripItems(report).find(i => i.id === 'misprediction')?.label).toBe(
      '\u26a0 5.9\u00d7 faster than predicted'
    );
    // a report saved before the kernel judged: 7.5x is flagged, 4.5x is not
    delete report.cost.misprediction;
    report.cost.predicted_ms = 20;
    report.cost.actual_ms = 150;
    expect(stripItems(report).find(i => i.id === 'misprediction')?.label).toBe(
      '\u26a0 7.5\u00d7 slower than predicted'
    );
    report.cost.actual_ms = 90;
    expect(stripItems(report).map(i => i.id)).not.toContain('misprediction');
  });

  it('details the interval, rows against returned and each join', () => {
    const report = example('sql-cross-join.json');
    const details = (stripItems(report).find(i => i.id === 'cost')?.details ??
      []) as (string | IDetail)[];
    const text = details.map(d => (typeof d === 'string' ? d : d.text));
    expect(text[0]).toBe(
      'predicted 73.9 ms (80% between 2.2 ms and 2.48 s), took 14.01 s'
    );
    expect(text).toContain('rows: estimated 9 (80%: 4\u201317), returned 9');
    const join = details.find(
      d => typeof d !== 'string' && d.text.startsWith('cross join')
    ) as IDetail;
    expect(join.text).toBe('cross join: 3 \u00d7 3 rows \u2192 ~9 rows');
    expect(join.severity).toBe('warning');
    const node = renderReport(report, document);
    (node.querySelector('button[data-nl-item="cost"]') as HTMLElement).click();
    const panel = node.querySelector('[data-nl-details="cost"]') as HTMLElement;
    expect(panel.hidden).toBe(false);
    expect(
      panel.querySelector('li.nl-severity-warning')?.textContent
    ).toContain('cross join');
  });

  it('warns about a suggestion only when it saves a meaningful share of the time', () => {
    const report = example('sql-groupby.json');
    report.cost.predicted_ms = 2000;
    report.cost.actual_ms = 1900;
    report.cost.suggestions = [
      {
        message: 'drop an unused column',
        predicted_saving_ms: 0.4,
        saving_share: 0.0002,
        severity: 'info'
      }
    ];
    const cost = () => stripItems(report).find(i => i.id === 'cost');
    expect(cost()?.severity).toBe('info');
    const first = cost()?.details ?? [];
    expect((first[first.length - 1] as IDetail).severity).toBe('info');
    report.cost.suggestions.push({
      message: 'filter by date so files are skipped',
      predicted_saving_ms: 1500,
      saving_share: 0.75,
      severity: 'warning'
    });
    expect(cost()?.severity).toBe('warning');
    // the one worth it comes first
    const lines = (cost()?.details ?? []).filter(
      (d): d is IDetail => typeof d !== 'string' && d.severity !== undefined
    );
    expect(lines[0].text).toContain('filter by date');
    // an old report without severity: judged by the kernel's rule
    report.cost.suggestions = [
      { message: 'small', predicted_saving_ms: 50 },
      { message: 'large', predicted_saving_ms: 900 }
    ];
    expect(
      report.cost.suggestions.map(s => suggestionSeverity(s, 2000))
    ).toEqual(['info', 'warning']);
  });

  it('shows a banner when the owner sees PII in clear, none when it is masked', () => {
    const report = example('sql-groupby.json');
    report.compliance.pii_columns = [
      { column: 'crm.people.email', entity: 'EMAIL_ADDRESS' }
    ];
    report.compliance.warnings = [
      'personal data shown in clear because you own the workspace: crm.people.email (EMAIL_ADDRESS)'
    ];
    report.result.columns.push({ name: 'email', type: 'VARCHAR' });
    report.lineage.edges.push({
      source: 'crm.people.email',
      target: 'output.email',
      kind: 'IDENTITY',
      masked: false
    });
    const node = renderReport(report, document);
    const banner = node.querySelector('[data-neurolake="pii-banner"]');
    expect(banner?.textContent).toContain('email (EMAIL_ADDRESS)');
    // read but not shown (a filter on it): no banner; a write's summary shows none either
    const hiddenBanner = (r: IReport) =>
      renderReport(r, document).querySelector('[data-neurolake="pii-banner"]');
    const filtered = JSON.parse(JSON.stringify(report)) as IReport;
    filtered.lineage.edges = filtered.lineage.edges.map(e =>
      e.source === 'crm.people.email'
        ? { ...e, target: 'output.region', kind: 'FILTER' as const }
        : e
    );
    filtered.result.columns.pop();
    expect(hiddenBanner(filtered)).toBeNull();
    expect(hiddenBanner({ ...report, statement_type: 'INSERT' })).toBeNull();
    report.compliance.warnings = [];
    report.compliance.masked = [{ column: 'crm.people.email', method: 'hash' }];
    expect(
      renderReport(report, document).querySelector(
        '[data-neurolake="pii-banner"]'
      )
    ).toBeNull();
  });

  it('shows the cost prediction and applies a suggestion with one click', () => {
    const report = example('sql-groupby.json');
    report.cost.predicted_ms = 12.5;
    report.cost.confidence = 0.8;
    report.cost.suggestions = [
      {
        message: 'filter order_date by range so files can be skipped',
        rewrite: 'SELECT 1',
        predicted_saving_ms: 9
      }
    ];
    const item = stripItems(report).find(i => i.id === 'cost');
    expect(item?.label).toBe(
      'predicted 12.5 ms \u00b7 took 1.2 ms \u00b7 1 suggestion'
    );
    expect(item?.severity).toBe('info'); // 9 ms is no reason for orange
    const node = renderReport(report, document);
    document.body.appendChild(node);
    const seen: string[] = [];
    document.addEventListener(APPLY_REWRITE_EVENT, e =>
      seen.push((e as CustomEvent<{ sql: string }>).detail.sql)
    );
    (node.querySelector('button[data-nl-item="cost"]') as HTMLElement).click();
    const apply = node.querySelector('button.nl-apply') as HTMLElement;
    expect(apply.parentElement?.textContent).toContain('saves about 9.0 ms');
    apply.click();
    expect(seen).toEqual(['SELECT 1']);
    node.remove();
  });

  it('keeps the magic line when a rewrite goes into the cell', () => {
    expect(
      withRewrite('%%sql -o r\nSELECT *\nFROM t', 'SELECT a\nFROM t')
    ).toBe('%%sql -o r\nSELECT a\nFROM t');
    expect(withRewrite('%sql SELECT * FROM t', 'SELECT a\nFROM t')).toBe(
      '%sql SELECT a FROM t'
    );
  });
});
