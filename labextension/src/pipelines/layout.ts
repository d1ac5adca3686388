/**
 * The pipeline graph laid out by ELK (elkjs, the Eclipse Layout Kernel's layered algorithm):
 * sources on the left, pipelines in the middle, targets on the right, edges routed around nodes.
 */

import type { ELK as IElk, ElkExtendedEdge, ElkNode } from 'elkjs/lib/elk-api';

import { IGraphNode, IPipelineGraph } from './types';

export interface IPoint {
  x: number;
  y: number;
}

export interface IPlacedNode {
  node: IGraphNode;
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface IPlacedEdge {
  source: string;
  target: string;
  points: IPoint[];
}

export interface IPlacedGraph {
  nodes: IPlacedNode[];
  edges: IPlacedEdge[];
  width: number;
  height: number;
}

const CHAR = 7.2;
const PAD = 28;

/** A node's box: wide enough for its label. */
export function nodeSize(node: IGraphNode): { width: number; height: number } {
  return {
    width: Math.max(110, Math.round(node.label.length * CHAR + PAD)),
    height: node.kind === 'pipeline' ? 44 : 32
  };
}

let elk: IElk | null = null;

/** ELK, loaded on first use (1.4 MB: JupyterLab starts without it). */
async function engine(): Promise<IElk> {
  if (!elk) {
    const { default: ELK } = await import('elkjs/lib/elk.bundled.js');
    elk = new ELK();
  }
  return elk;
}

/** Positions for every node and a route for every edge. */
export async function layoutGraph(
  graph: IPipelineGraph
): Promise<IPlacedGraph> {
  const byId = new Map(graph.nodes.map(n => [n.id, n]));
  const edges: ElkExtendedEdge[] = graph.edges.map((e, i) => ({
    id: `e${i}`,
    sources: [e.source],
    targets: [e.target]
  }));
  const root: ElkNode = {
    id: 'root',
    layoutOptions: {
      'elk.algorithm': 'layered',
      'elk.direction': 'RIGHT',
      'elk.edgeRouting': 'ORTHOGONAL',
      'elk.spacing.nodeNode': '28',
      'elk.layered.spacing.nodeNodeBetweenLayers': '56',
      'elk.padding': '[top=16,left=16,bottom=16,right=16]'
    },
    children: graph.nodes.map(n => ({ id: n.id, ...nodeSize(n) })),
    edges
  };
  const done = await (await engine()).layout(root);
  const nodes: IPlacedNode[] = (done.children ?? []).map(c => ({
    node: byId.get(c.id) as IGraphNode,
    x: c.x ?? 0,
    y: c.y ?? 0,
    width: c.width ?? 0,
    height: c.height ?? 0
  }));
  const placedEdges: IPlacedEdge[] = (done.edges ?? []).map(e => {
    const points: IPoint[] = [];
    for (const section of e.sections ?? []) {
      points.push(section.startPoint, ...(section.bendPoints ?? []));
      points.push(section.endPoint);
    }
    return { source: e.sources[0], target: e.targets[0], points };
  });
  return {
    nodes,
    edges: placedEdges,
    width: done.width ?? 0,
    height: done.height ?? 0
  };
}
