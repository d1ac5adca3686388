/**
 * The Visual Designer: the workspace's pipelines drawn as a graph (sources → pipelines →
 * targets, laid out by ELK), each pipeline coloured by its last run's health. Clicking a
 * pipeline opens its runs, incidents and fixes; "New pipeline" writes a `%%pipeline` cell.
 *
 * It re-reads the server every few seconds while shown, and at once after a notebook cell ran,
 * so a `%%pipeline` cell run anywhere shows up here.
 */

import { Widget } from '@lumino/widgets';

import { PipelineApi } from './api';
import { pipelinePane, PipelineAction, tablePane } from './detail';
import { h } from '../util/dom';
import { button } from './dom';
import { InsertCell, newPipelineForm } from './form';
import { drawGraph } from './graph';
import { layoutGraph } from './layout';
import { IOverview } from './types';

const POLL_MS = 5000;
/** Below this the labels are too small to read: the graph scrolls instead. */
const MIN_SCALE = 0.7;

export class PipelineDesigner extends Widget {
  private overview: IOverview | null = null;
  private drawn = '';
  private selected: string | null = null;
  private timer: number | null = null;
  private readonly graphArea: HTMLElement;
  private readonly side: HTMLElement;
  private readonly status: HTMLElement;

  constructor(
    private readonly api: PipelineApi,
    private readonly insert: InsertCell
  ) {
    super();
    this.id = 'neurolake-pipeline-designer';
    this.title.label = 'Pipelines';
    this.title.caption = 'NeuroLake Pipeline Designer';
    this.title.closable = true;
    this.addClass('nl-pl-designer');
    this.node.setAttribute('data-neurolake', 'pipeline-designer');
    this.status = h('span', {
      class: 'nl-pl-status-line',
      'data-neurolake': 'pipeline-status'
    });
    this.graphArea = h('div', { class: 'nl-pl-graph-area' });
    this.side = h('div', { class: 'nl-pl-side' });
    const toolbar = h(
      'div',
      { class: 'nl-pl-toolbar' },
      h('b', {}, 'Pipelines'),
      button(
        'New pipeline',
        () => this.showForm(),
        { 'data-neurolake': 'pipeline-new-open' },
        true
      ),
      button('Refresh', () => void this.refresh(), {
        'data-neurolake': 'pipeline-refresh'
      }),
      this.status
    );
    this.node.append(
      toolbar,
      h('div', { class: 'nl-pl-body' }, this.graphArea, this.side)
    );
    this.side.appendChild(this.hint());
  }

  private hint(): HTMLElement {
    return h(
      'div',
      { class: 'nl-pl-pane nl-pl-muted' },
      'Click a pipeline for its runs, incidents and fixes, or a table for what reads and writes it.'
    );
  }

  protected onAfterAttach(): void {
    void this.refresh();
    this.timer = window.setInterval(() => {
      if (this.isVisible) {
        void this.refresh();
      }
    }, POLL_MS);
  }

  protected onBeforeDetach(): void {
    if (this.timer !== null) {
      window.clearInterval(this.timer);
      this.timer = null;
    }
  }

  /** Read the pipelines again and redraw what changed. */
  async refresh(): Promise<void> {
    try {
      this.overview = await this.api.overview();
    } catch (err) {
      this.status.textContent = `Cannot read the pipelines: ${(err as Error).message}`;
      return;
    }
    const { items, graph } = this.overview;
    const failing = items.filter(p => p.health === 'failing').length;
    this.status.textContent =
      `${items.length} pipeline${items.length === 1 ? '' : 's'}` +
      (failing ? `, ${failing} failing` : '');
    const key = JSON.stringify(graph);
    if (key !== this.drawn) {
      this.drawn = key;
      await this.draw();
    }
    if (
      this.selected?.startsWith('pipeline:') &&
      !this.side.querySelector('.nl-pl-form')
    ) {
      await this.select(this.selected, false);
    }
  }

  private async draw(): Promise<void> {
    if (!this.overview) {
      return;
    }
    const { graph } = this.overview;
    this.graphArea.textContent = '';
    if (!graph.nodes.length) {
      this.graphArea.appendChild(
        h(
          'div',
          { class: 'nl-pl-empty' },
          'No pipelines yet. Run a %%pipeline cell, or click New pipeline.'
        )
      );
      return;
    }
    const placed = await layoutGraph(graph);
    this.graphArea.appendChild(
      drawGraph(placed, this.selected, id => void this.select(id))
    );
    this.fitGraph();
  }

  /** Scale the graph to the pane's width, but not below MIN_SCALE (then it scrolls). */
  private fitGraph(): void {
    const svg = this.graphArea.querySelector('svg');
    const box = svg?.viewBox.baseVal;
    if (!svg || !box || !box.width) {
      return;
    }
    const room = this.graphArea.clientWidth - 16;
    const scale =
      room > 0 ? Math.max(MIN_SCALE, Math.min(1, room / box.width)) : 1;
    svg.setAttribute('width', String(Math.round(box.width * scale)));
    svg.setAttribute('height', String(Math.round(box.height * scale)));
  }

  protected onResize(): void {
    this.fitGraph();
  }

  private async select(id: string, redraw = true): Promise<void> {
    this.selected = id;
    if (redraw) {
      for (const node of Array.from(
        this.graphArea.querySelectorAll('[data-neurolake="pipeline-node"]')
      )) {
        node.classList.toggle(
          'nl-pl-selected',
          node.getAttribute('data-id') === id
        );
      }
    }
    const [kind, name] = [id.split(':')[0], id.slice(id.indexOf(':') + 1)];
    if (kind === 'table') {
      const edges = this.overview?.graph.edges ?? [];
      const readers = edges
        .filter(e => e.source === id)
        .map(e => e.target.slice(9));
      const writers = edges
        .filter(e => e.target === id)
        .map(e => e.source.slice(9));
      this.side.replaceChildren(tablePane(name, readers, writers));
      return;
    }
    try {
      const detail = await this.api.detail(name);
      if (this.selected === id) {
        this.side.replaceChildren(
          pipelinePane(detail, action => void this.act(name, action))
        );
      }
    } catch (err) {
      this.side.replaceChildren(
        h('div', { class: 'nl-pl-pane nl-pl-error' }, (err as Error).message)
      );
    }
  }

  private async act(name: string, action: PipelineAction): Promise<void> {
    this.status.textContent = `${action === 'run' ? 'Running' : action === 'pause' ? 'Pausing' : 'Resuming'} ${name}…`;
    try {
      await this.api.act(name, action);
    } catch (err) {
      this.status.textContent = `${name}: ${(err as Error).message}`;
      return;
    }
    await this.refresh();
    await this.select(`pipeline:${name}`, false);
  }

  private showForm(): void {
    this.selected = null;
    this.side.replaceChildren(newPipelineForm(this.api, this.insert));
  }

  /** Refresh soon (a notebook cell just ran: it may have been a `%%pipeline`). */
  refreshSoon(): void {
    window.setTimeout(() => void this.refresh(), 300);
  }
}
