/** Builds the DOM of a NeuroLake cell report: the bounded preview table and the strip. */

import { isNumericType } from './format';
import { APPLY_REWRITE_EVENT, stripItems } from './strip';
import { IReport, PreviewValue } from './types';

function cellText(value: PreviewValue): string {
  if (value === null) {
    return 'NULL';
  }
  if (typeof value === 'object') {
    return JSON.stringify(value);
  }
  return String(value);
}

function renderTable(report: IReport, doc: Document): HTMLElement {
  const wrapper = doc.createElement('div');
  wrapper.className = 'nl-table-wrapper jp-RenderedHTMLCommon';
  const table = doc.createElement('table');
  table.className = 'nl-table';
  const numeric = report.result.columns.map(c => isNumericType(c.type));

  const headRow = doc.createElement('tr');
  for (const column of report.result.columns) {
    const th = doc.createElement('th');
    th.title = column.type;
    const name = doc.createElement('span');
    name.className = 'nl-column-name';
    name.textContent = column.name;
    const type = doc.createElement('span');
    type.className = 'nl-column-type';
    type.textContent = column.type;
    th.append(name, type);
    headRow.appendChild(th);
  }
  const thead = doc.createElement('thead');
  thead.appendChild(headRow);

  const tbody = doc.createElement('tbody');
  for (const row of report.result.rows_preview) {
    const tr = doc.createElement('tr');
    row.forEach((value, i) => {
      const td = doc.createElement('td');
      td.textContent = cellText(value);
      if (value === null) {
        td.classList.add('nl-null');
      } else if (numeric[i]) {
        td.classList.add('nl-number');
      }
      tr.appendChild(td);
    });
    tbody.appendChild(tr);
  }
  table.append(thead, tbody);
  wrapper.appendChild(table);
  return wrapper;
}

function renderStrip(report: IReport, doc: Document): HTMLElement[] {
  const strip = doc.createElement('div');
  strip.className = 'nl-strip';
  const panels: HTMLElement[] = [];
  for (const item of stripItems(report)) {
    const expandable = item.details !== undefined && item.details.length > 0;
    const node = doc.createElement(expandable ? 'button' : 'span');
    node.className = `nl-strip-item nl-severity-${item.severity ?? 'info'}`;
    node.dataset.nlItem = item.id;
    node.textContent = item.label;
    if (item.title) {
      node.title = item.title;
    }
    if (expandable) {
      const panel = doc.createElement('ul');
      panel.className = 'nl-details';
      panel.dataset.nlDetails = item.id;
      panel.hidden = true;
      for (const line of item.details ?? []) {
        const li = doc.createElement('li');
        if (typeof line === 'string') {
          li.textContent = line;
        } else {
          li.append(line.text);
          const sql = line.apply;
          if (sql) {
            const apply = doc.createElement('button');
            apply.className = 'nl-apply';
            apply.textContent = 'apply';
            apply.title = sql;
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
        }
        panel.appendChild(li);
      }
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
      });
      panels.push(panel);
    }
    strip.appendChild(node);
  }
  return [strip, ...panels];
}

/** The whole report as DOM: the table (when there are columns) and the strip. */
export function renderReport(report: IReport, doc: Document): HTMLElement {
  const root = doc.createElement('div');
  root.className = 'nl-report';
  if (report.result.columns.length > 0) {
    root.appendChild(renderTable(report, doc));
  }
  root.append(...renderStrip(report, doc));
  return root;
}
