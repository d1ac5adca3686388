/**
 * The Pipeline Designer's pure parts: the %%pipeline cell it writes, the ELK layout of the graph,
 * the SVG it draws (health colours, clicks), and the side pane's runs and repairs.
 */

import {
  checkSpec,
  IPipelineSpec,
  pipelineCell,
  quoteOption,
  starterSql
} from '../pipelines/cell';
import { pipelinePane } from '../pipelines/detail';
import { drawGraph } from '../pipelines/graph';
import { layoutGraph } from '../pipelines/layout';
import { IPipelineDetail, IPipelineGraph } from '../pipelines/types';

const SPEC: IPipelineSpec = {
  name: 'daily_totals',
  into: 'mart.totals',
  mode: 'merge',
  key: ['customer_id'],
  schedule: 'every 1h',
  sql: 'SELECT customer_id, sum(amount) AS total\nFROM retail.orders GROUP BY 1;\n'
};

const GRAPH: IPipelineGraph = {
  nodes: [
    {
      id: 'pipeline:totals',
      kind: 'pipeline',
      label: 'totals',
      health: 'ok',
      mode: 'merge'
    },
    {
      id: 'table:shop.orders',
      kind: 'table',
      label: 'shop.orders',
      role: 'source'
    },
    {
      id: 'table:mart.totals',
      kind: 'table',
      label: 'mart.totals',
      role: 'both'
    },
    {
      id: 'pipeline:copy',
      kind: 'pipeline',
      label: 'copy',
      health: 'failing',
      mode: 'overwrite'
    },
    { id: 'table:mart.copy', kind: 'table', label: 'mart.copy', role: 'target' }
  ],
  edges: [
    { source: 'table:shop.orders', target: 'pipeline:totals' },
    { source: 'pipeline:totals', target: 'table:mart.totals' },
    { source: 'table:mart.totals', target: 'pipeline:copy' },
    { source: 'pipeline:copy', target: 'table:mart.copy' }
  ]
};

describe('the %%pipeline cell', () => {
  it('writes the magic line the kernel parses, and the SQL', () => {
    expect(pipelineCell(SPEC)).toBe(
      '%%pipeline daily_totals --into mart.totals --mode merge --key customer_id ' +
        '--schedule "every 1h"\n' +
        'SELECT customer_id, sum(amount) AS total\nFROM retail.orders GROUP BY 1'
    );
    const append = { ...SPEC, mode: 'append' as const, key: [], schedule: ' ' };
    expect(pipelineCell(append).split('\n')[0]).toBe(
      '%%pipeline daily_totals --into mart.totals'
    );
    const asked = { ...SPEC, question: '  total\n amount per customer ' };
    expect(pipelineCell(asked).split('\n')[1]).toBe(
      '-- total amount per customer'
    );
  });

  it('quotes options as a shell would read them back', () => {
    expect(quoteOption('hourly')).toBe('hourly');
    expect(quoteOption('0 6 * * 1-5')).toBe('"0 6 * * 1-5"');
    expect(quoteOption('say "hi"')).toBe('"say \\"hi\\""');
  });

  it('names what is wrong with a spec', () => {
    expect(checkSpec(SPEC)).toBeNull();
    expect(checkSpec({ ...SPEC, name: '1bad' })).toMatch(/Name/);
    expect(checkSpec({ ...SPEC, into: 'totals' })).toMatch(/namespace\.table/);
    expect(checkSpec({ ...SPEC, key: [] })).toMatch(/key/);
    expect(checkSpec({ ...SPEC, mode: 'append' })).toMatch(/Only a merge/);
    expect(checkSpec({ ...SPEC, sql: '  ' })).toMatch(/SELECT/);
  });

  it('starts the SQL from the chosen sources', () => {
    expect(starterSql([])).toBe('');
    expect(starterSql(['a.b'])).toBe('SELECT *\nFROM a.b');
    expect(starterSql(['a.b', 'a.c'])).toContain('JOIN a.c AS t2');
  });
});

describe('the graph', () => {
  it('is laid out left to right: sources, pipelines, targets', async () => {
    const placed = await layoutGraph(GRAPH);
    const x = (id: string): number =>
      placed.nodes.find(n => n.node.id === id)!.x;
    expect(x('table:shop.orders')).toBeLessThan(x('pipeline:totals'));
    expect(x('pipeline:totals')).toBeLessThan(x('table:mart.totals'));
    expect(x('table:mart.totals')).toBeLessThan(x('pipeline:copy'));
    expect(x('pipeline:copy')).toBeLessThan(x('table:mart.copy'));
    expect(placed.edges).toHaveLength(4);
    for (const edge of placed.edges) {
      expect(edge.points.length).toBeGreaterThanOrEqual(2);
    }
    expect(placed.width).toBeGreaterThan(0);
  });

  it('is drawn as SVG coloured by health; a click selects a node', async () => {
    const picked: string[] = [];
    const svg = drawGraph(await layoutGraph(GRAPH), 'pipeline:copy', id =>
      picked.push(id)
    );
    const nodes = svg.querySelectorAll('[data-neurolake="pipeline-node"]');
    expect(nodes).toHaveLength(5);
    const copy = svg.querySelector('[data-id="pipeline:copy"]')!;
    expect(copy.getAttribute('data-health')).toBe('failing');
    expect(copy.classList.contains('nl-pl-failing')).toBe(true);
    expect(copy.classList.contains('nl-pl-selected')).toBe(true);
    expect(copy.textContent).toContain('overwrite · failing');
    expect(svg.querySelectorAll('path.nl-pl-edge')).toHaveLength(4);
    (
      svg.querySelector('[data-id="table:mart.totals"]') as SVGGElement
    ).dispatchEvent(new MouseEvent('click'));
    expect(picked).toEqual(['table:mart.totals']);
  });
});

describe('the side pane', () => {
  const detail: IPipelineDetail = {
    pipeline: {
      name: 'totals',
      sql: 'SELECT o.cust, sum(o.amount_usd) AS total FROM raw.orders o GROUP BY 1',
      target: 'mart.totals',
      mode: 'merge',
      key: ['cust'],
      schedule: 'every 1h',
      owner: 'ann',
      status: 'active',
      sources: ['raw.orders'],
      version: 2,
      health: 'warning'
    },
    history: [
      {
        run_id: 'r2',
        trigger: 'schedule',
        status: 'healed',
        start: '2026-01-01T10:00:00+00:00',
        end: '2026-01-01T10:00:02+00:00',
        rows_written: 4,
        rows_quarantined: 0,
        snapshot_id: '7404567338466457233',
        sql_version: 2,
        error: null,
        incidents: [
          {
            id: 'i1',
            pipeline: 'totals',
            check: 'failure',
            detail: 'source column raw.orders.amount was renamed to amount_usd',
            cause: 'column_renamed',
            run_id: 'r2',
            status: 'fixed',
            at: '2026-01-01T10:00:01+00:00',
            actions: [
              {
                kind: 'repair_sql',
                detail: 'repaired the SQL for raw.orders.amount -> amount_usd',
                ok: true,
                old_sql:
                  'SELECT o.cust, sum(o.amount) AS total FROM raw.orders o GROUP BY 1',
                new_sql:
                  'SELECT o.cust, sum(o.amount_usd) AS total FROM raw.orders o GROUP BY 1',
                at: null
              }
            ]
          }
        ],
        fixes: []
      }
    ],
    versions: []
  };

  it('shows the runs, the incident and the repair with both SQL texts', () => {
    const actions: string[] = [];
    const pane = pipelinePane(detail, action => actions.push(action));
    expect(pane.querySelector('h3')!.textContent).toBe('totals needs a look');
    const run = pane.querySelector('[data-neurolake="pipeline-run"]')!;
    expect(run.getAttribute('data-status')).toBe('healed');
    const incident = pane.querySelector(
      '[data-neurolake="pipeline-incident"]'
    )!;
    expect(incident.textContent).toContain('failure (column_renamed) — fixed');
    const repair = pane.querySelectorAll(
      '[data-neurolake="pipeline-repair"] pre'
    );
    expect(repair[0].textContent).toContain('sum(o.amount)');
    expect(repair[1].textContent).toContain('sum(o.amount_usd)');
    (
      pane.querySelector(
        '[data-neurolake="pipeline-pause"]'
      ) as HTMLButtonElement
    ).click();
    (
      pane.querySelector(
        '[data-neurolake="pipeline-run-now"]'
      ) as HTMLButtonElement
    ).click();
    expect(actions).toEqual(['pause', 'run']);
  });
});
