/** Builds the DOM of a NeuroLake cell report: the bounded preview table and the strip. */

import { isNumericType } from './format';
import { stripItems } from './strip';
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

function renderStrip(report: IReport, doc: Document): HTMLElement {
  const strip = doc.createElement('div');
  strip.className = 'nl-strip';
  for (const item of stripItems(report)) {
    const span = doc.createElement('span');
    span.className = `nl-strip-item nl-severity-${item.severity ?? 'info'}`;
    span.dataset.nlItem = item.id;
    span.textContent = item.label;
    if (item.title) {
      span.title = item.title;
    }
    strip.appendChild(span);
  }
  return strip;
}

/** The whole report as DOM: the table (when there are columns) and the strip. */
export function renderReport(report: IReport, doc: Document): HTMLElement {
  const root = doc.createElement('div');
  root.className = 'nl-report';
  if (report.result.columns.length > 0) {
    root.appendChild(renderTable(report, doc));
  }
  root.appendChild(renderStrip(report, doc));
  return root;
}
