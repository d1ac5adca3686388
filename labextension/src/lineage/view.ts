/**
 * The lineage graph view under a report's strip: an SVG of the ELK layout with zoom (wheel,
 * +/-), pan (drag), fit, collapse/expand per table (click a table's title), a toggle for the
 * edges that only shape the result (filters, joins, grouping, sorting), and a details line for
 * the clicked column (type, description, PII tag: from the report, then the REST API).
 */

import type { ElkNode } from 'elkjs/lib/elk-api';

import { NeuroLakeApi } from '../api/client';
import { IReport } from '../report/types';
import { h } from '../util/dom';
import {
  buildModel,
  IGraphModel,
  initiallyCollapsed,
  IViewOptions,
  layout,
  tableOf,
  visibleEdges
} from './model';

const SVG = 'http://www.w3.org/2000/svg';

function s<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number> = {},
  ...children: (Node | string)[]
): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) {
    el.setAttribute(k, String(v));
  }
  el.append(...children);
  return el;
}

export class LineageView {
  readonly node: HTMLElement;

  constructor(
    private readonly report: IReport,
    private readonly api: NeuroLakeApi | null = null
  ) {
    this.model = buildModel(report.lineage);
    this.options = {
      collapsed: initiallyCollapsed(this.model),
      indirect: true
    };
    this._svg = s('svg', {
      class: 'nl-lineage-svg',
      role: 'img',
      'aria-label': 'Column lineage graph'
    });
    this._viewport = s('g', { class: 'nl-viewport' });
    this._svg.append(
      s(
        'defs',
        {},
        s(
          'marker',
          {
            id: 'nl-arrow',
            viewBox: '0 0 10 10',
            refX: 9,
            refY: 5,
            markerWidth: 7,
            markerHeight: 7,
            orient: 'auto-start-reverse'
          },
          s('path', { d: 'M0,0 L10,5 L0,10 z', class: 'nl-arrowhead' })
        )
      ),
      this._viewport
    );
    this._details = h(
      'div',
      { class: 'nl-lineage-details', 'data-neurolake': 'lineage-details' },
      'Click a column for its type, description and PII tag; click a table title to collapse or expand it.'
    );
    const button = (
      label: string,
      title: string,
      action: () => void,
      id: string
    ) => {
      const b = h(
        'button',
        {
          class: 'jp-Button jp-mod-minimal nl-lineage-button',
          title,
          'data-action': id
        },
        label
      );
      b.addEventListener('click', action);
      return b;
    };
    const indirect = h('input', {
      type: 'checkbox',
      checked: true,
      'data-action': 'indirect'
    });
    indirect.addEventListener('change', () => {
      this.options.indirect = indirect.checked;
      void this.draw();
    });
    const total = visibleEdges(this.model, {
      collapsed: new Set(),
      indirect: true
    }).length;
    this.node = h(
      'div',
      { class: 'nl-lineage-graph', 'data-neurolake': 'lineage-graph' },
      h(
        'div',
        { class: 'nl-lineage-toolbar' },
        button('+', 'Zoom in', () => this.zoom(1.25), 'zoom-in'),
        button('\u2212', 'Zoom out', () => this.zoom(0.8), 'zoom-out'),
        button('fit', 'Fit the graph', () => this.fit(), 'fit'),
        button(
          'expand all',
          'Show every column of every table',
          () => this._setAll(false),
          'expand'
        ),
        button(
          'collapse all',
          'One box per table',
          () => this._setAll(true),
          'collapse'
        ),
        h(
          'label',
          {
            class: 'nl-lineage-toggle',
            title:
              'Edges of columns that filter, join, group or sort the result'
          },
          indirect,
          ' filters, joins, grouping'
        ),
        h(
          'span',
          { class: 'nl-muted nl-right' },
          `${this.model.outputs.length} result columns \u00b7 ${total} edges`
        )
      ),
      this._svg,
      h(
        'div',
        { class: 'nl-lineage-legend' },
        h('span', { class: 'nl-legend-direct' }, '\u2014 value'),
        h('span', { class: 'nl-legend-indirect' }, '- - filter/join/group'),
        h('span', { class: 'nl-legend-masked' }, '\u2014 masked')
      ),
      this._details
    );
    this._enablePanZoom();
  }

  readonly model: IGraphModel;
  readonly options: IViewOptions;

  /** Lays the graph out and draws it (again, after a change of view). */
  async draw(): Promise<void> {
    const laid = await layout(this.model, this.options);
    this._laid = laid;
    this._viewport.replaceChildren();
    // boxes of the tables under the edges, the column nodes over them
    const groupLayer = s('g', { class: 'nl-groups' });
    const edgeLayer = s('g', { class: 'nl-edges' });
    const nodeLayer = s('g', { class: 'nl-nodes' });
    const edges = visibleEdges(this.model, this.options);
    for (const group of laid.children ?? []) {
      this._drawGroup(group, groupLayer, nodeLayer);
    }
    (laid.edges ?? []).forEach((e, i) => {
      const meta = edges[i];
      for (const section of e.sections ?? []) {
        const points = [
          section.startPoint,
          ...(section.bendPoints ?? []),
          section.endPoint
        ];
        const path = s('path', {
          d: points
            .map((p, j) => `${j === 0 ? 'M' : 'L'}${p.x},${p.y}`)
            .join(' '),
          class: `nl-edge${meta.direct ? '' : ' nl-edge-indirect'}${meta.masked ? ' nl-edge-masked' : ''}`,
          'marker-end': 'url(#nl-arrow)',
          'data-source': meta.source,
          'data-target': meta.target,
          'data-kinds': meta.kinds.join(',')
        });
        path.append(
          s(
            'title',
            {},
            `${meta.target} \u2190 ${meta.source}: ${meta.kinds.join(', ').toLowerCase()}${meta.masked ? ' (masked)' : ''}`
          )
        );
        edgeLayer.append(path);
      }
    });
    this._viewport.append(groupLayer, edgeLayer, nodeLayer);
    this._svg.setAttribute(
      'height',
      String(Math.min(520, Math.max(160, (laid.height ?? 200) + 20)))
    );
    if (!this._transformed) {
      this.fit();
    } else {
      this._apply();
    }
  }

  zoom(factor: number): void {
    this._scale = Math.max(0.2, Math.min(4, this._scale * factor));
    this._transformed = true;
    this._apply();
  }

  fit(): void {
    const width = this._svg.clientWidth || 800;
    const height = Number(this._svg.getAttribute('height')) || 300;
    const w = this._laid?.width ?? width;
    const hgt = this._laid?.height ?? height;
    this._scale = Math.min(
      1.5,
      Math.max(0.2, Math.min((width - 20) / w, (height - 20) / hgt))
    );
    this._x = 10;
    this._y = 10;
    this._transformed = false;
    this._apply();
  }

  private _drawGroup(
    group: ElkNode,
    boxes: SVGGElement,
    columns: SVGGElement
  ): void {
    const table = group.id.slice('table:'.length);
    const collapsed = this.options.collapsed.has(table);
    const g = s('g', {
      class: `nl-table-group${table === 'output' ? ' nl-output-group' : ''}${collapsed ? ' nl-collapsed' : ''}`,
      transform: `translate(${group.x ?? 0},${group.y ?? 0})`,
      'data-table': table
    });
    g.append(
      s('rect', {
        width: group.width ?? 0,
        height: group.height ?? 0,
        rx: 6,
        class: 'nl-group-box'
      })
    );
    const title = s(
      'text',
      { x: 8, y: collapsed ? 19 : 17, class: 'nl-group-title' },
      group.labels?.[0]?.text ?? table
    );
    g.append(title);
    if (table !== 'output') {
      g.style.cursor = 'pointer';
      title.append(
        s(
          'title',
          {},
          collapsed ? 'Click to show the columns' : 'Click to collapse'
        )
      );
      (collapsed ? g : title).addEventListener('click', event => {
        event.stopPropagation();
        if (this.options.collapsed.has(table)) {
          this.options.collapsed.delete(table);
        } else {
          this.options.collapsed.add(table);
        }
        void this.draw();
      });
    }
    boxes.append(g);
    const inner = s('g', {
      transform: `translate(${group.x ?? 0},${group.y ?? 0})`,
      'data-table': table
    });
    for (const child of group.children ?? []) {
      const masked = this._isMasked(child.id);
      const pii = this._pii(child.id);
      const node = s('g', {
        class: `nl-column-node${masked ? ' nl-masked' : ''}${pii ? ' nl-pii' : ''}`,
        transform: `translate(${child.x ?? 0},${child.y ?? 0})`,
        'data-column': child.id
      });
      node.append(
        s('rect', {
          width: child.width ?? 0,
          height: child.height ?? 0,
          rx: 4
        }),
        s(
          'text',
          { x: 8, y: 15 },
          `${child.labels?.[0]?.text ?? child.id}${pii ? ' \u25cf' : ''}`
        )
      );
      node.addEventListener('click', event => {
        event.stopPropagation();
        void this._describe(child.id);
      });
      inner.append(node);
    }
    columns.append(inner);
  }

  private _isMasked(id: string): boolean {
    return this.report.lineage.edges.some(
      e => e.masked && (e.source === id || e.target === id)
    );
  }

  private _pii(id: string): string | null {
    return (
      this.report.compliance.pii_columns.find(c => c.column === id)?.entity ??
      null
    );
  }

  private async _describe(id: string): Promise<void> {
    const table = tableOf(id);
    const name = id.split('.').pop() ?? id;
    const sources = this.report.lineage.edges
      .filter(e => e.target === id)
      .map(
        e =>
          `${e.source} (${e.kind.toLowerCase()}${e.masked ? ', masked' : ''})`
      );
    const targets = this.report.lineage.edges
      .filter(e => e.source === id)
      .map(e => e.target);
    const lines: (string | HTMLElement)[] = [h('b', {}, id)];
    if (table === 'output') {
      const column = this.report.result.columns.find(c => c.name === name);
      if (column) {
        lines.push(` \u00b7 ${column.type}`);
      }
      if (sources.length) {
        lines.push(h('div', {}, `from ${sources.join(', ')}`));
      }
      this._details.replaceChildren(...lines);
      return;
    }
    const pii = this._pii(id);
    if (pii) {
      lines.push(' \u00b7 ', h('span', { class: 'nl-pii-tag' }, pii));
    }
    if (this._isMasked(id)) {
      lines.push(' \u00b7 masked for you');
    }
    if (targets.length) {
      lines.push(h('div', {}, `into ${targets.join(', ')}`));
    }
    this._details.replaceChildren(...lines);
    if (!this.api) {
      return;
    }
    try {
      const detail = await this.api.table(table);
      const column = detail.columns.find(c => c.name === name);
      if (column) {
        lines.splice(1, 0, ` \u00b7 ${column.type}`);
        if (column.pii && !pii) {
          lines.push(
            ' \u00b7 ',
            h('span', { class: 'nl-pii-tag' }, column.pii)
          );
        }
        if (column.description) {
          lines.push(h('div', { class: 'nl-muted' }, column.description));
        }
        this._details.replaceChildren(...lines);
      }
    } catch {
      // a session table or no server extension: what the report says is all there is
    }
  }

  private _setAll(collapsed: boolean): void {
    this.options.collapsed = collapsed
      ? new Set(this.model.tables.keys())
      : new Set();
    void this.draw();
  }

  private _apply(): void {
    this._viewport.setAttribute(
      'transform',
      `translate(${this._x},${this._y}) scale(${this._scale})`
    );
    this.node.dataset.scale = this._scale.toFixed(3);
  }

  private _enablePanZoom(): void {
    this._svg.addEventListener('wheel', event => {
      if (!event.ctrlKey && !event.metaKey) {
        return; // plain wheel scrolls the notebook
      }
      event.preventDefault();
      this.zoom(event.deltaY < 0 ? 1.1 : 0.9);
    });
    let drag: { x: number; y: number } | null = null;
    this._svg.addEventListener('pointerdown', event => {
      drag = { x: event.clientX - this._x, y: event.clientY - this._y };
    });
    this._svg.addEventListener('pointermove', event => {
      if (drag && event.buttons === 1) {
        this._x = event.clientX - drag.x;
        this._y = event.clientY - drag.y;
        this._transformed = true;
        this._apply();
      }
    });
    this._svg.addEventListener('pointerup', () => (drag = null));
  }

  private _svg: SVGSVGElement;
  private _viewport: SVGGElement;
  private _details: HTMLElement;
  private _laid: ElkNode | null = null;
  private _scale = 1;
  private _x = 10;
  private _y = 10;
  private _transformed = false;
}
