/**
 * The result table: one page at a time, sortable by any column, numbers right-aligned with
 * thousands separators, NULL set apart, long text cut with the whole value on hover, masked
 * columns styled as masked, wide tables scrolling sideways.
 *
 * Other pages come from the kernel (the report carries `result.result_id`): the table sends a
 * `PAGE_EVENT` DOM event that the notebook plugin answers over the `neurolake.results` comm, so
 * the browser never holds more than a page of a large result.
 */

import { h } from '../util/dom';
import { formatCount, formatNumber, isNumericType } from './format';
import { rendererSettings } from './settings';
import { IReport, PreviewValue } from './types';

export const PAGE_EVENT = 'neurolake:page';
/** Sent (not bubbling) to a table's node once it is in the page: the renderer's widget attached. */
export const ATTACHED_EVENT = 'neurolake:attached';
/** What the saved preview holds instead of a value kept out of the notebook (report.py). */
export const WITHHELD = '[withheld]';
/** Text longer than this is cut in the cell (the whole value is its tooltip). */
export const MAX_CELL_CHARS = 80;

export interface IPageRequest {
  resultId: string;
  offset: number;
  limit: number;
  sort: { column: string; descending: boolean }[];
}

export interface IPage {
  offset: number;
  rows: PreviewValue[][];
  row_count: number;
}

export interface IPageEventDetail {
  request: IPageRequest;
  respond: (page: IPage) => void;
  fail: (reason: string) => void;
  /** Set by a handler that took the request. */
  handled?: boolean;
}

export function cellText(value: PreviewValue): string {
  if (value === null) {
    return 'NULL';
  }
  if (typeof value === 'object') {
    return JSON.stringify(value);
  }
  return String(value);
}

/** The output columns a policy masked (targets of masked lineage edges). */
export function maskedColumns(report: IReport): Set<string> {
  const out = new Set<string>();
  for (const e of report.lineage.edges) {
    if (e.masked && e.target.startsWith('output.')) {
      out.add(e.target.slice('output.'.length));
    }
  }
  return out;
}

export class ResultTable {
  readonly node: HTMLElement;

  constructor(private readonly report: IReport) {
    const result = report.result;
    this._numeric = result.columns.map(c => isNumericType(c.type));
    this._masked = maskedColumns(report);
    this._pageSize = Math.max(1, rendererSettings.pageSize);
    this._rows = result.rows_preview;
    this._total = result.row_count;
    this._status = h('span', { class: 'nl-pager-status' });
    this._prev = h(
      'button',
      {
        class: 'jp-Button jp-mod-minimal nl-pager-button',
        'data-action': 'previous',
        title: 'Previous page'
      },
      '\u2039 prev'
    );
    this._next = h(
      'button',
      {
        class: 'jp-Button jp-mod-minimal nl-pager-button',
        'data-action': 'next',
        title: 'Next page'
      },
      'next \u203a'
    );
    this._prev.addEventListener(
      'click',
      () => void this.go(this._offset - this._pageSize)
    );
    this._next.addEventListener(
      'click',
      () => void this.go(this._offset + this._shown)
    );
    this._error = h('span', { class: 'nl-error nl-pager-error' });
    this._table = h('table', { class: 'nl-table' });
    const pager = h(
      'div',
      { class: 'nl-pager', 'data-neurolake': 'pager' },
      this._prev,
      this._status,
      this._next,
      this._error
    );
    this.node = h(
      'div',
      { class: 'nl-result-table' },
      h(
        'div',
        {
          class: 'nl-table-wrapper jp-RenderedHTMLCommon',
          'data-neurolake': 'result-table'
        },
        this._table
      ),
      pager
    );
    pager.hidden = !this._pageable && this._total <= this._pageSize;
    this._withheld = new Set((result.withheld ?? []).map(w => w.column));
    this._draw();
    // the first page comes from the kernel when the preview cannot show it: values kept out of
    // the saved notebook, or a page size above the preview's rows (needs the node in the page)
    if (
      this._pageable &&
      (this._withheld.size > 0 || this._pageSize > this._rows.length)
    ) {
      // quietly: a notebook reopened without its kernel keeps the saved preview
      this.node.addEventListener(ATTACHED_EVENT, () => void this.go(0, true), {
        once: true
      });
    }
  }

  /** Whether other pages (and sorting) can come from the kernel. */
  private get _pageable(): boolean {
    return typeof this.report.result.result_id === 'string';
  }

  /**
   * Shows the page starting at `offset` (from the preview when it holds it, else the kernel);
   * `quiet`: a failure leaves the table as it is, with no message.
   */
  async go(offset: number, quiet = false): Promise<void> {
    const target = Math.max(0, Math.min(offset, Math.max(0, this._total - 1)));
    const local = !this._pageable;
    if (local) {
      this._offset = target;
      this._draw();
      return;
    }
    try {
      const page = await this._fetch({
        resultId: this.report.result.result_id as string,
        offset: target,
        limit: this._pageSize,
        sort: this._sort ? [this._sort] : []
      });
      this._rows = page.rows;
      this._total = page.row_count;
      this._offset = page.offset;
      this._error.textContent = '';
      this._draw();
    } catch (err) {
      if (!quiet) {
        this._error.textContent = String((err as Error).message ?? err);
      }
    }
  }

  /** Sorts by `column` (again: the other way). */
  async sortBy(column: string): Promise<void> {
    const descending =
      this._sort?.column === column ? !this._sort.descending : false;
    this._sort = { column, descending };
    if (!this._pageable) {
      const i = this.report.result.columns.findIndex(c => c.name === column);
      const numeric = this._numeric[i];
      this._rows = [...this.report.result.rows_preview].sort((a, b) =>
        compare(a[i], b[i], numeric, descending)
      );
      this._offset = 0;
      this._draw();
      return;
    }
    await this.go(0);
  }

  private _fetch(request: IPageRequest): Promise<IPage> {
    return new Promise((resolve, reject) => {
      const detail: IPageEventDetail = {
        request,
        respond: resolve,
        fail: reason => reject(new Error(reason))
      };
      this.node.dispatchEvent(
        new CustomEvent(PAGE_EVENT, { bubbles: true, detail })
      );
      if (!detail.handled) {
        reject(
          new Error(
            'paging needs the NeuroLake kernel of this notebook (not running?)'
          )
        );
      }
    });
  }

  private _draw(): void {
    const columns = this.report.result.columns;
    const head = h('tr', {});
    columns.forEach((column, i) => {
      const sorted = this._sort?.column === column.name;
      const th = h(
        'th',
        {
          title: `${column.type}${this._masked.has(column.name) ? ' \u00b7 masked by policy' : ''}\nClick to sort`,
          class: `${this._numeric[i] ? 'nl-number' : ''}${this._masked.has(column.name) ? ' nl-masked-column' : ''}`,
          'aria-sort': sorted
            ? this._sort?.descending
              ? 'descending'
              : 'ascending'
            : false,
          'data-column': column.name
        },
        h(
          'span',
          { class: 'nl-column-name' },
          column.name,
          sorted ? (this._sort?.descending ? ' \u25bc' : ' \u25b2') : ''
        ),
        h('span', { class: 'nl-column-type' }, column.type)
      );
      th.addEventListener('click', () => void this.sortBy(column.name));
      head.append(th);
    });
    const start = this._pageable ? 0 : this._offset;
    const rows = this._rows.slice(start, start + this._pageSize);
    const body = h('tbody', {});
    for (const row of rows) {
      const tr = h('tr', {});
      row.forEach((value, i) => tr.append(this._cell(value, i)));
      body.append(tr);
    }
    this._table.replaceChildren(h('thead', {}, head), body);
    const first = this._total === 0 ? 0 : this._offset + 1;
    this._shown = rows.length;
    const last = Math.min(this._offset + rows.length, this._total);
    this._status.textContent = `${formatCount(first)}\u2013${formatCount(last)} of ${formatCount(this._total)}`;
    this._prev.disabled = this._offset <= 0;
    this._next.disabled =
      last >= this._total || (!this._pageable && last >= this._rows.length);
  }

  private _cell(value: PreviewValue, i: number): HTMLElement {
    const column = this.report.result.columns[i];
    const td = h('td', {});
    if (value === null) {
      td.className = 'nl-null';
      td.textContent = 'NULL';
      return td;
    }
    if (
      this._numeric[i] &&
      (typeof value === 'number' || typeof value === 'string')
    ) {
      td.className = 'nl-number';
      td.textContent = formatNumber(value);
      td.title = String(value);
    } else {
      const text = cellText(value);
      if (text.length > MAX_CELL_CHARS) {
        td.textContent = `${text.slice(0, MAX_CELL_CHARS - 1)}\u2026`;
        td.title = text;
        td.classList.add('nl-truncated');
      } else {
        td.textContent = text;
      }
    }
    if (value === WITHHELD && this._withheld.has(column.name)) {
      td.classList.add('nl-withheld');
      td.title =
        'Personal data kept out of the saved notebook (a reader of it would see it masked); run the cell to see it here';
    }
    if (this._masked.has(column.name)) {
      td.classList.add('nl-masked');
      td.title = `${td.title ? `${td.title}\n` : ''}masked by policy`;
    }
    return td;
  }

  private _numeric: boolean[];
  private _masked: Set<string>;
  private _withheld: Set<string>;
  private _pageSize: number;
  private _rows: PreviewValue[][];
  private _total: number;
  private _offset = 0;
  private _shown = 0;
  private _sort: { column: string; descending: boolean } | null = null;
  private _status: HTMLElement;
  private _prev: HTMLButtonElement;
  private _next: HTMLButtonElement;
  private _error: HTMLElement;
  private _table: HTMLTableElement;
}

/** Order of two values; NULLs last either way (as DuckDB's default NULLS LAST). */
function compare(
  a: PreviewValue,
  b: PreviewValue,
  numeric: boolean,
  descending: boolean
): number {
  if (a === null || b === null) {
    return a === b ? 0 : a === null ? 1 : -1;
  }
  const order = numeric
    ? Number(a) - Number(b)
    : cellText(a).localeCompare(cellText(b));
  return descending ? -order : order;
}
