/**
 * Builds the DOM of a NeuroLake cell report: a banner when the owner sees personal data in
 * clear, the paged result table, and the strip (details under an item on click; the lineage
 * item opens the lineage graph).
 */

import { LineageView } from '../lineage/view';
import { NeuroLakeApi } from '../api/client';
import { h } from '../util/dom';
import { APPLY_REWRITE_EVENT, IStripItem, stripItems } from './strip';
import { ResultTable } from './table';
import { IReport } from './types';

/** Statements that only read: every other statement type changed a table. */
const READS = ['SELECT', 'EXPLAIN', 'TABLES', 'SNAPSHOTS', 'AUDIT', 'LINEAGE'];

/** Whether the report is of a statement that changed a table (its result is a summary). */
export function isWrite(report: { statement_type?: string }): boolean {
  const kind = report.statement_type ?? '';
  return kind !== '' && !READS.includes(kind);
}

/** The columns the reader sees in clear although they are PII (the owner's privilege). */
export function piiInClear(
  report: IReport
): { column: string; entity: string }[] {
  const { pii_columns, masked, denied, warnings } = report.compliance;
  const hidden = new Set([
    ...masked.map(m => m.column),
    ...denied.map(d => d.column)
  ]);
  const warned = warnings.join('\n');
  // only what the result shows: a write copies PII into a table, its summary shows none of it
  if (isWrite(report)) {
    return [];
  }
  const edges = report.lineage.edges;
  const shown = new Set(report.result.columns.map(c => `output.${c.name}`));
  // its values reach a result column (a filter, join or count on it shows none of them)
  const displayed = (column: string) =>
    edges.length === 0 ||
    edges.some(
      e =>
        e.source === column &&
        shown.has(e.target) &&
        (e.kind === 'IDENTITY' || e.kind === 'TRANSFORMATION')
    );
  return pii_columns.filter(
    c =>
      !hidden.has(c.column) && warned.includes(c.column) && displayed(c.column)
  );
}

function renderBanner(report: IReport): HTMLElement | null {
  const clear = piiInClear(report);
  if (clear.length === 0) {
    return null;
  }
  const names = clear
    .map(c => `${c.column.split('.').pop()} (${c.entity})`)
    .join(', ');
  return h(
    'div',
    { class: 'nl-pii-banner', role: 'status', 'data-neurolake': 'pii-banner' },
    h('b', {}, 'Personal data in clear: '),
    `${names}. You see it because you own this workspace; everyone else sees it masked.`,
    report.result.withheld?.length
      ? ' The saved notebook keeps it out (it shows [withheld]).'
      : ''
  );
}

function detailsPanel(item: IStripItem): HTMLElement {
  const panel = h('ul', { class: 'nl-details', hidden: true });
  panel.dataset.nlDetails = item.id;
  for (const line of item.details ?? []) {
    if (typeof line === 'string') {
      panel.append(h('li', {}, line));
      continue;
    }
    const li = h(
      'li',
      { class: line.severity ? `nl-severity-${line.severity}` : undefined },
      line.text
    );
    const sql = line.apply;
    if (sql) {
      const apply = h('button', { class: 'nl-apply', title: sql }, 'apply');
      apply.addEventListener('click', () => {
        apply.dispatchEvent(
          new CustomEvent(APPLY_REWRITE_EVENT, {
            bubbles: true,
            detail: { sql }
          })
        );
      });
      li.append(' ', apply);
    }
    panel.append(li);
  }
  return panel;
}

function lineagePanel(report: IReport, api: NeuroLakeApi | null): HTMLElement {
  const panel = h('div', {
    class: 'nl-details nl-lineage-panel',
    hidden: true
  });
  panel.dataset.nlDetails = 'lineage';
  let view: LineageView | null = null;
  // drawn when first opened (ELK lays it out then, at the width the panel has)
  panel.addEventListener('nl-open', () => {
    if (!view) {
      view = new LineageView(report, api);
      panel.append(view.node);
      void view.draw();
    }
  });
  return panel;
}

function renderStrip(report: IReport, api: NeuroLakeApi | null): HTMLElement[] {
  const strip = h('div', { class: 'nl-strip', 'data-neurolake': 'strip' });
  const panels: HTMLElement[] = [];
  for (const item of stripItems(report)) {
    const expandable =
      item.id === 'lineage' ||
      (item.details !== undefined && item.details.length > 0);
    const node = h(expandable ? 'button' : 'span', {
      class: `nl-strip-item nl-severity-${item.severity ?? 'info'}`,
      title: item.title,
      'data-neurolake': item.neurolake
    });
    node.dataset.nlItem = item.id;
    Object.assign(node.dataset, item.data ?? {});
    node.textContent = item.label;
    if (expandable) {
      const panel =
        item.id === 'lineage' ? lineagePanel(report, api) : detailsPanel(item);
      node.setAttribute('aria-expanded', 'false');
      node.addEventListener('click', () => {
        const open = panel.hidden;
        for (const other of panels) {
          other.hidden = true;
        }
        strip
          .querySelectorAll('[aria-expanded]')
          .forEach(b => b.setAttribute('aria-expanded', 'false'));
        panel.hidden = !open;
        node.setAttribute('aria-expanded', String(open));
        if (open) {
          panel.dispatchEvent(new Event('nl-open'));
        }
      });
      panels.push(panel);
    }
    strip.append(node);
  }
  return [strip, ...panels];
}

/** The whole report as DOM: banner, table (when there are columns) and strip. */
export function renderReport(
  report: IReport,
  doc: Document,
  api: NeuroLakeApi | null = null
): HTMLElement {
  void doc;
  const root = h('div', { class: 'nl-report' });
  const banner = renderBanner(report);
  if (banner) {
    root.append(banner);
  }
  if (report.result.columns.length > 0) {
    root.append(new ResultTable(report).node);
  }
  root.append(...renderStrip(report, api));
  return root;
}
