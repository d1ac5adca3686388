/** The lineage graph: the model, ELK's layout (real elkjs) and the view's controls. */

import { LineageView } from '../lineage/view';
import {
  buildModel,
  COLLAPSE_ABOVE,
  initiallyCollapsed,
  layout,
  visibleEdges
} from '../lineage/model';
import { IReport } from '../report/types';

function lineageReport(columnsPerTable = 2): IReport {
  const edges: IReport['lineage']['edges'] = [];
  for (let t = 0; t < 3; t++) {
    for (let c = 0; c < columnsPerTable; c++) {
      edges.push({
        source: `s.t${t}.c${c}`,
        target: `output.o${c % 3}`,
        kind: 'IDENTITY',
        masked: t === 0 && c === 0
      });
    }
  }
  edges.push({
    source: 's.t1.c0',
    target: 'output.o0',
    kind: 'FILTER',
    masked: false
  });
  edges.push({
    source: 's.t2.c9',
    target: 'output.o1',
    kind: 'JOIN',
    masked: false
  });
  return {
    version: 1,
    kind: 'sql',
    sql: '',
    executed_sql: '',
    result: {
      columns: [{ name: 'o0', type: 'BIGINT' }],
      rows_preview: [],
      row_count: 0,
      truncated: false
    },
    cost: {
      predicted_ms: null,
      estimated_rows: null,
      estimated_bytes: null,
      confidence: null,
      suggestions: []
    },
    lineage: { nodes: [], edges },
    compliance: {
      pii_columns: [{ column: 's.t0.c0', entity: 'EMAIL_ADDRESS' }],
      masked: [],
      row_filters: [],
      denied: [],
      warnings: []
    },
    audit_id: null,
    timings: { total_ms: 1 }
  };
}

describe('the lineage model', () => {
  it('groups columns by table and merges edge kinds', () => {
    const model = buildModel(lineageReport().lineage);
    expect(Array.from(model.tables.keys())).toEqual(['s.t0', 's.t1', 's.t2']);
    expect(model.outputs.map(o => o.name).sort()).toEqual(['o0', 'o1']);
    const merged = model.edges.find(
      e => e.source === 's.t1.c0' && e.target === 'output.o0'
    );
    expect(merged?.kinds).toEqual(['IDENTITY', 'FILTER']);
    expect(merged?.direct).toBe(true);
    expect(model.edges.find(e => e.source === 's.t0.c0')?.masked).toBe(true);
  });

  it('collapses every table of a large graph and reroutes edges to the table', () => {
    const small = buildModel(lineageReport().lineage);
    expect(initiallyCollapsed(small).size).toBe(0);
    const big = buildModel(
      lineageReport(Math.ceil((COLLAPSE_ABOVE + 3) / 3)).lineage
    );
    const collapsed = initiallyCollapsed(big);
    expect(collapsed.size).toBe(3);
    const edges = visibleEdges(big, { collapsed, indirect: true });
    expect(new Set(edges.map(e => e.source))).toEqual(
      new Set(['table:s.t0', 'table:s.t1', 'table:s.t2'])
    );
    expect(edges.length).toBeLessThanOrEqual(9);
  });

  it('hides filter/join edges on request', () => {
    const model = buildModel(lineageReport().lineage);
    const all = visibleEdges(model, { collapsed: new Set(), indirect: true });
    const direct = visibleEdges(model, {
      collapsed: new Set(),
      indirect: false
    });
    expect(all.length - direct.length).toBe(1); // the JOIN-only edge
  });

  it('is laid out by ELK left to right: sources left of the result', async () => {
    const model = buildModel(lineageReport().lineage);
    const laid = await layout(model, { collapsed: new Set(), indirect: true });
    const result = laid.children?.find(c => c.id === 'table:output');
    const source = laid.children?.find(c => c.id === 'table:s.t0');
    expect(result?.x).toBeGreaterThan((source?.x ?? 0) + (source?.width ?? 0));
    expect(laid.edges?.every(e => (e.sections ?? []).length > 0)).toBe(true);
  });
});

describe('LineageView', () => {
  it('draws columns, edges (masked and filter edges marked), and collapses a table on click', async () => {
    const view = new LineageView(lineageReport());
    document.body.append(view.node);
    await view.draw();
    const node = view.node;
    expect(node.getAttribute('data-neurolake')).toBe('lineage-graph');
    expect(node.querySelectorAll('.nl-column-node').length).toBe(9);
    expect(node.querySelectorAll('.nl-edge').length).toBe(7);
    expect(node.querySelectorAll('.nl-edge-masked').length).toBe(1);
    expect(node.querySelectorAll('.nl-edge-indirect').length).toBe(1);
    expect(
      node
        .querySelector('.nl-column-node[data-column="s.t0.c0"]')
        ?.classList.contains('nl-pii')
    ).toBe(true);
    (
      node.querySelector(
        'g.nl-table-group[data-table="s.t1"] .nl-group-title'
      ) as SVGElement
    ).dispatchEvent(new MouseEvent('click', { bubbles: true }));
    await new Promise(r => setTimeout(r, 50));
    await view.draw();
    expect(
      node
        .querySelector('g.nl-table-group[data-table="s.t1"]')
        ?.classList.contains('nl-collapsed')
    ).toBe(true);
    expect(node.querySelectorAll('.nl-column-node').length).toBe(7);
    (node.querySelector('[data-action="zoom-in"]') as HTMLElement).click();
    expect(Number(node.dataset.scale)).toBeGreaterThan(0);
    (
      node.querySelector(
        '.nl-column-node[data-column="output.o0"]'
      ) as SVGElement
    ).dispatchEvent(new MouseEvent('click', { bubbles: true }));
    await new Promise(r => setTimeout(r, 0));
    expect(
      node.querySelector('[data-neurolake="lineage-details"]')?.textContent
    ).toContain('output.o0 \u00b7 BIGINT');
    view.node.remove();
  });
});
