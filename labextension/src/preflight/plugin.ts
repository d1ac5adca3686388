/**
 * Wires preflight and the running bar into notebooks: one preflight client per notebook (on its
 * kernel), fed by the active cell's text; a bar under each NeuroLake cell's editor that shows the
 * preflight while the user types and, while the cell runs, the elapsed time and a Cancel button.
 */

import { Cell } from '@jupyterlab/cells';
import {
  INotebookTracker,
  NotebookActions,
  NotebookPanel
} from '@jupyterlab/notebook';

import { formatMs } from '../report/format';
import { h } from '../util/dom';
import { renderPreflight } from './bar';
import { IPreflightKernel, isNeuroLakeCell, PreflightClient } from './client';

/**
 * The pause in typing before the kernel is asked, by default. The browser test found it was most
 * of the time from the last keystroke to the bar (100 of ~130-185 ms; the kernel answers a
 * warm preflight in a few ms, the round trip takes 20-50 ms): half of it still waits out the
 * gap between two keys of a fast typist, and a request sent between keys costs nothing but a
 * dropped answer.
 */
export const PREFLIGHT_DELAY_MS = 50;

export interface IPreflightSettings {
  enabled: boolean;
  delay: number;
}

/** A code cell queued or running: its notebook, when it started running, its bar's timer. */
interface IPending {
  panel: NotebookPanel | null;
  start: number | null;
  timer: number;
}

/** The bar under a cell's editor (made on first use). */
export function cellBar(cell: Cell): HTMLElement {
  const found = cell.node.querySelector<HTMLElement>(
    ':scope [data-neurolake="preflight"]'
  );
  if (found) {
    return found;
  }
  const bar = h('div', {
    class: 'nl-cell-bar',
    'data-neurolake': 'preflight',
    hidden: true
  });
  // between the editor and the output, lined up with the editor
  const input = cell.node.querySelector(':scope > .jp-Cell-inputWrapper');
  if (input) {
    input.after(bar);
  } else {
    cell.node.append(bar);
  }
  return bar;
}

/** Preflight of the active cell, per notebook. */
export class PreflightManager {
  constructor(
    private readonly tracker: INotebookTracker,
    private settings: IPreflightSettings
  ) {
    tracker.widgetAdded.connect((_, panel) => this._track(panel));
    tracker.forEach(panel => this._track(panel));
    tracker.activeCellChanged.connect(() => this._watchActive());
    this._watchActive();
    NotebookActions.executionScheduled.connect((_, { cell }) =>
      this._started(cell)
    );
    NotebookActions.executed.connect((_, { cell }) => this._finished(cell));
  }

  configure(settings: IPreflightSettings): void {
    this.settings = settings;
    this._clients.forEach(c => (c.delay = settings.delay));
    if (!settings.enabled) {
      document
        .querySelectorAll<HTMLElement>('[data-neurolake="preflight"]')
        .forEach(b => {
          if (!b.classList.contains('nl-running')) {
            b.hidden = true;
          }
        });
    }
  }

  /** The client of a notebook (tests read its counters). */
  client(panel: NotebookPanel): PreflightClient | undefined {
    return this._clients.get(panel);
  }

  private _track(panel: NotebookPanel): void {
    if (this._clients.has(panel)) {
      return;
    }
    const client = new PreflightClient(
      () =>
        (panel.sessionContext.session?.kernel ??
          null) as IPreflightKernel | null,
      {
        delay: this.settings.delay,
        onResult: (reply, code) => {
          const cell = panel.content.activeCell;
          if (!cell || cell.model.sharedModel.getSource() !== code) {
            return; // the user moved on: an answer for other text is not shown
          }
          this._show(cell, renderPreflight(reply));
          // what the browser tests and the benchmark read: requests sent, kernel time used
          const bar = cellBar(cell);
          bar.dataset.requests = String(client.sent);
          bar.dataset.dropped = String(client.dropped);
          bar.dataset.kernelMs = client.kernelMs.toFixed(1);
          bar.dataset.delay = String(this.settings.delay);
          const timing = client.lastTiming;
          if (timing) {
            bar.dataset.changedAt = timing.changedAt.toFixed(1);
            bar.dataset.sentAt = timing.sentAt.toFixed(1);
            bar.dataset.receivedAt = timing.receivedAt.toFixed(1);
            bar.dataset.lastKernelMs = timing.kernelMs.toFixed(1);
          }
        },
        onClear: () => {
          const cell = panel.content.activeCell;
          if (cell) {
            this._show(cell, null);
          }
        }
      }
    );
    this._clients.set(panel, client);
    panel.disposed.connect(() => {
      client.dispose();
      this._clients.delete(panel);
    });
    panel.sessionContext.kernelChanged.connect((_, change) => {
      // a restart or another kernel: the comm belongs to the old one (the first connection
      // to the same kernel is not a change)
      if (change.oldValue && change.oldValue.id !== change.newValue?.id) {
        client.dispose();
      }
    });
  }

  private _watchActive(): void {
    const cell = this.tracker.activeCell;
    if (this._watched === cell) {
      return;
    }
    if (this._watched && !this._watched.isDisposed) {
      this._watched.model.contentChanged.disconnect(this._onChange, this);
    }
    this._watched = cell;
    this._source = cell?.model.sharedModel.getSource() ?? null;
    cell?.model.contentChanged.connect(this._onChange, this);
  }

  /** The active cell's model changed: its text, or only its outputs or execution count. */
  private _onChange(): void {
    const panel = this.tracker.currentWidget;
    const cell = this.tracker.activeCell;
    if (
      !this.settings.enabled ||
      !panel ||
      !cell ||
      cell.model.type !== 'code'
    ) {
      return;
    }
    const source = cell.model.sharedModel.getSource();
    if (source === this._source) {
      return; // outputs or the execution count: the text the bar shows is unchanged
    }
    this._source = source;
    this._clients.get(panel)?.update(source);
  }

  private _show(cell: Cell, content: HTMLElement | null): void {
    const bar = cellBar(cell);
    if (bar.classList.contains('nl-running')) {
      return;
    }
    bar.replaceChildren(...(content ? [content] : []));
    bar.hidden = content === null;
    bar.dataset.updatedAt = String(performance.now());
  }

  private _started(cell: Cell): void {
    if (cell.model.type !== 'code') {
      return;
    }
    const panel =
      this.tracker.find(p => p.content.widgets.includes(cell)) ?? null;
    const pending: IPending = { panel, start: null, timer: 0 };
    this._pending.set(cell, pending);
    if (!isNeuroLakeCell(cell.model.sharedModel.getSource())) {
      return; // Python cells only hold their place in the queue
    }
    const bar = cellBar(cell);
    const elapsed = h(
      'span',
      { class: 'nl-elapsed', 'data-neurolake': 'elapsed' },
      'queued'
    );
    const cancel = h(
      'button',
      {
        class: 'jp-Button jp-mod-styled jp-mod-warn nl-cancel',
        'data-neurolake': 'cancel',
        title: 'Interrupt the kernel'
      },
      'Cancel'
    );
    cancel.addEventListener('click', () => {
      cancel.disabled = true;
      cancel.textContent = 'Cancelling\u2026';
      void panel?.sessionContext.session?.kernel?.interrupt();
    });
    bar.classList.add('nl-running');
    bar.replaceChildren(
      h('span', { class: 'nl-spinner', 'aria-hidden': 'true' }),
      elapsed,
      cancel
    );
    bar.hidden = false;
    const tick = () => {
      // cells run in the order they were queued: the first pending cell of the notebook runs
      const first = Array.from(this._pending.entries()).find(
        ([, p]) => p.panel === panel
      );
      if (first?.[0] !== cell) {
        elapsed.textContent = 'queued';
        return;
      }
      pending.start = pending.start ?? performance.now();
      const ms = performance.now() - pending.start;
      elapsed.textContent = `running ${ms < 1000 ? `${Math.round(ms)} ms` : formatMs(ms)}`;
      bar.dataset.elapsedMs = String(Math.round(ms));
    };
    tick();
    pending.timer = window.setInterval(tick, 100);
  }

  private _finished(cell: Cell): void {
    const pending = this._pending.get(cell);
    this._pending.delete(cell);
    if (!pending || !pending.timer) {
      return;
    }
    window.clearInterval(pending.timer);
    const bar = cellBar(cell);
    bar.classList.remove('nl-running');
    bar.replaceChildren();
    bar.hidden = true;
  }

  private _clients = new Map<NotebookPanel, PreflightClient>();
  private _watched: Cell | null = null;
  /** The active cell's text when last seen (only a change of it asks the kernel). */
  private _source: string | null = null;
  private _pending = new Map<Cell, IPending>();
}
