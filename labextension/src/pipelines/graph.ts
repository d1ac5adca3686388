/**
 * Draws a laid-out pipeline graph as SVG: tables as boxes, pipelines as rounded boxes coloured
 * by their health, edges as arrows. Each node carries `data-neurolake="pipeline-node"` and its id.
 */

import { IPlacedGraph, IPlacedNode } from './layout';
import { Health } from './types';

const SVG = 'http://www.w3.org/2000/svg';

/** The words shown for a health, and the class that colours it. */
export const HEALTH_LABELS: Record<Health, string> = {
  ok: 'healthy',
  warning: 'needs a look',
  failing: 'failing',
  paused: 'paused',
  new: 'not run yet'
};

function el<K extends keyof SVGElementTagNameMap>(
  name: K,
  attrs: Record<string, string | number>
): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attrs)) {
    node.setAttribute(key, String(value));
  }
  return node;
}

function drawNode(placed: IPlacedNode, selected: string | null): SVGGElement {
  const { node } = placed;
  const health = node.health ?? 'new';
  const group = el('g', {
    class:
      `nl-pl-node nl-pl-${node.kind}` +
      (node.kind === 'pipeline' ? ` nl-pl-${health}` : ''),
    transform: `translate(${placed.x},${placed.y})`,
    'data-neurolake': 'pipeline-node',
    'data-id': node.id,
    'data-kind': node.kind,
    tabindex: 0,
    role: 'button'
  });
  if (node.kind === 'pipeline') {
    group.setAttribute('data-health', health);
  }
  if (node.id === selected) {
    group.classList.add('nl-pl-selected');
  }
  const radius = node.kind === 'pipeline' ? 10 : 3;
  group.appendChild(
    el('rect', {
      width: placed.width,
      height: placed.height,
      rx: radius,
      ry: radius
    })
  );
  const label = el('text', {
    x: placed.width / 2,
    y: node.kind === 'pipeline' ? 18 : placed.height / 2 + 4,
    'text-anchor': 'middle'
  });
  label.textContent = node.label;
  group.appendChild(label);
  if (node.kind === 'pipeline') {
    const sub = el('text', {
      x: placed.width / 2,
      y: 34,
      'text-anchor': 'middle',
      class: 'nl-pl-sub'
    });
    sub.textContent = `${node.mode ?? ''} · ${HEALTH_LABELS[health]}`;
    group.appendChild(sub);
  }
  const title = el('title', {});
  title.textContent =
    node.kind === 'pipeline'
      ? `pipeline ${node.label}: ${HEALTH_LABELS[health]}${node.schedule ? `, ${node.schedule}` : ''}`
      : `table ${node.label}`;
  group.appendChild(title);
  return group;
}

/** The graph as an `<svg>`; `onSelect` gets the id of a clicked node. */
export function drawGraph(
  placed: IPlacedGraph,
  selected: string | null,
  onSelect: (id: string) => void
): SVGSVGElement {
  const svg = el('svg', {
    width: placed.width,
    height: placed.height,
    viewBox: `0 0 ${placed.width} ${placed.height}`,
    class: 'nl-pl-graph',
    'data-neurolake': 'pipeline-graph'
  });
  const defs = el('defs', {});
  const marker = el('marker', {
    id: 'nl-pl-arrow',
    viewBox: '0 0 10 10',
    refX: 10,
    refY: 5,
    markerWidth: 7,
    markerHeight: 7,
    orient: 'auto-start-reverse'
  });
  marker.appendChild(el('path', { d: 'M 0 0 L 10 5 L 0 10 z' }));
  defs.appendChild(marker);
  svg.appendChild(defs);
  for (const edge of placed.edges) {
    if (edge.points.length < 2) {
      continue;
    }
    const d = edge.points
      .map((p, i) => `${i ? 'L' : 'M'} ${p.x} ${p.y}`)
      .join(' ');
    svg.appendChild(
      el('path', {
        d,
        class: 'nl-pl-edge',
        'marker-end': 'url(#nl-pl-arrow)',
        'data-source': edge.source,
        'data-target': edge.target
      })
    );
  }
  for (const node of placed.nodes) {
    const group = drawNode(node, selected);
    group.addEventListener('click', () => onSelect(node.node.id));
    group.addEventListener('keydown', event => {
      if (event.key === 'Enter' || event.key === ' ') {
        onSelect(node.node.id);
      }
    });
    svg.appendChild(group);
  }
  return svg;
}
