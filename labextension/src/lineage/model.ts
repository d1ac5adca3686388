/**
 * The lineage graph of a cell as boxes and arrows: output columns ← source columns grouped in
 * their source tables, laid out by ELK (elkjs, layered, left to right).
 *
 * A table can be collapsed to one box (its edges then start at the table); graphs with more than
 * `COLLAPSE_ABOVE` source columns start with every table collapsed, so 50+ columns stay readable.
 */

import type {
  ELK as ElkLayout,
  ElkExtendedEdge,
  ElkNode
} from 'elkjs/lib/elk-api';

import { EdgeKind, ILineage } from '../report/types';

/** Above this many source columns, tables start collapsed. */
export const COLLAPSE_ABOVE = 24;
/** Edge kinds that carry values into the output; the others (filters, joins, ...) only shape it. */
export const DIRECT_KINDS: EdgeKind[] = [
  'IDENTITY',
  'TRANSFORMATION',
  'AGGREGATION',
  'WINDOW',
  'CONDITIONAL'
];

export const NODE_HEIGHT = 22;
const CHAR_WIDTH = 7;
const PAD = 10;

export interface IGraphColumn {
  id: string;
  table: string;
  name: string;
}

export interface IGraphEdge {
  source: string;
  target: string;
  kinds: EdgeKind[];
  masked: boolean;
  direct: boolean;
}

/** The lineage as the view needs it: tables of columns, output columns, merged edges. */
export interface IGraphModel {
  outputs: IGraphColumn[];
  tables: Map<string, IGraphColumn[]>;
  edges: IGraphEdge[];
}

export function tableOf(columnId: string): string {
  return columnId.split('.').slice(0, -1).join('.');
}

export function buildModel(lineage: ILineage): IGraphModel {
  const outputs = new Map<string, IGraphColumn>();
  const tables = new Map<string, IGraphColumn[]>();
  const seen = new Set<string>();
  const addColumn = (id: string) => {
    if (seen.has(id)) {
      return;
    }
    seen.add(id);
    const table = tableOf(id);
    const column = { id, table, name: id.split('.').pop() ?? id };
    if (table === 'output') {
      outputs.set(id, column);
    } else {
      tables.set(table, [...(tables.get(table) ?? []), column]);
    }
  };
  for (const n of lineage.nodes) {
    addColumn(n.id);
  }
  const merged = new Map<string, IGraphEdge>();
  for (const e of lineage.edges) {
    addColumn(e.source);
    addColumn(e.target);
    const key = `${e.source}->${e.target}`;
    const found = merged.get(key);
    if (found) {
      if (!found.kinds.includes(e.kind)) {
        found.kinds.push(e.kind);
      }
      found.masked = found.masked || e.masked;
      found.direct = found.direct || DIRECT_KINDS.includes(e.kind);
    } else {
      merged.set(key, {
        source: e.source,
        target: e.target,
        kinds: [e.kind],
        masked: e.masked,
        direct: DIRECT_KINDS.includes(e.kind)
      });
    }
  }
  return {
    outputs: Array.from(outputs.values()),
    tables,
    edges: Array.from(merged.values())
  };
}

/** Which tables start collapsed: all of them when the graph is large, else none. */
export function initiallyCollapsed(model: IGraphModel): Set<string> {
  const columns = Array.from(model.tables.values()).reduce(
    (n, cols) => n + cols.length,
    0
  );
  return columns > COLLAPSE_ABOVE ? new Set(model.tables.keys()) : new Set();
}

export interface IViewOptions {
  collapsed: Set<string>;
  /** Show filter/join/group/sort edges too. */
  indirect: boolean;
}

/** The edges as drawn: collapsed tables stand for their columns, duplicates merged. */
export function visibleEdges(
  model: IGraphModel,
  options: IViewOptions
): IGraphEdge[] {
  const out = new Map<string, IGraphEdge>();
  for (const e of model.edges) {
    if (!e.direct && !options.indirect) {
      continue;
    }
    const end = (id: string) =>
      options.collapsed.has(tableOf(id)) ? `table:${tableOf(id)}` : id;
    const source = end(e.source);
    const target = end(e.target);
    const key = `${source}->${target}`;
    const found = out.get(key);
    if (found) {
      found.kinds = Array.from(new Set([...found.kinds, ...e.kinds]));
      found.masked = found.masked || e.masked;
      found.direct = found.direct || e.direct;
    } else {
      out.set(key, { ...e, source, target, kinds: [...e.kinds] });
    }
  }
  return Array.from(out.values());
}

function width(text: string): number {
  return Math.max(60, text.length * CHAR_WIDTH + 2 * PAD);
}

/** The ELK graph for the current view (tables as compound nodes of their column nodes). */
export function elkGraph(model: IGraphModel, options: IViewOptions): ElkNode {
  const children: ElkNode[] = [];
  for (const [table, columns] of model.tables) {
    if (options.collapsed.has(table)) {
      children.push({
        id: `table:${table}`,
        width: width(`${table} (${columns.length})`),
        height: NODE_HEIGHT + 8,
        labels: [{ text: `${table} (${columns.length})` }]
      });
    } else {
      children.push({
        id: `table:${table}`,
        labels: [{ text: table }],
        layoutOptions: { 'elk.padding': '[top=26,left=8,bottom=8,right=8]' },
        children: columns.map(c => ({
          id: c.id,
          width: width(c.name),
          height: NODE_HEIGHT,
          labels: [{ text: c.name }]
        }))
      });
    }
  }
  children.push({
    id: 'table:output',
    labels: [{ text: 'result' }],
    layoutOptions: { 'elk.padding': '[top=26,left=8,bottom=8,right=8]' },
    children: model.outputs.map(c => ({
      id: c.id,
      width: width(c.name),
      height: NODE_HEIGHT,
      labels: [{ text: c.name }]
    }))
  });
  const edges: ElkExtendedEdge[] = visibleEdges(model, options).map((e, i) => ({
    id: `e${i}`,
    sources: [e.source],
    targets: [e.target]
  }));
  return {
    id: 'root',
    layoutOptions: {
      'elk.algorithm': 'layered',
      'elk.direction': 'RIGHT',
      'elk.hierarchyHandling': 'INCLUDE_CHILDREN',
      'elk.layered.spacing.nodeNodeBetweenLayers': '60',
      'elk.spacing.nodeNode': '12'
    },
    children,
    edges
  };
}

let elk: Promise<ElkLayout> | null = null;

/** Positions for the current view. ELK (1.5 MB) loads when the first graph is opened. */
export async function layout(
  model: IGraphModel,
  options: IViewOptions
): Promise<ElkNode> {
  elk =
    elk ??
    import('elkjs/lib/elk.bundled.js').then(
      ({ default: ELK }) => new ELK() as unknown as ElkLayout
    );
  return (await elk).layout(elkGraph(model, options));
}
