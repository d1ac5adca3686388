/**
 * The left sidebar "Lakehouse": namespaces → tables → columns (types, descriptions, PII tags),
 * rows and last commit, snapshots with "query as of", table lineage, and a search box over the
 * metadata index. Double-click or drag a table to put its name into a cell.
 */

import { Signal } from '@lumino/signaling';
import { Widget } from '@lumino/widgets';

import {
  ApiError,
  ISnapshot,
  ITableDetail,
  ITableSummary,
  NeuroLakeApi
} from '../api/client';
import { formatCount } from '../report/format';
import { ago, h } from '../util/dom';

/** What the panel asks of the notebook (the plugin wires these to the active cell). */
export interface ILakehouseActions {
  insertName(name: string): void;
  insertQuery(sql: string): void;
}

export class LakehousePanel extends Widget {
  /** A table was selected (the Governance panel shows its PII classification). */
  readonly selected = new Signal<this, string>(this);

  constructor(
    private readonly api: NeuroLakeApi,
    private readonly actions: ILakehouseActions
  ) {
    super();
    this.id = 'neurolake-lakehouse';
    this.addClass('nl-panel');
    this.node.dataset.neurolake = 'lakehouse-panel';
    this.title.caption = 'Lakehouse: tables, columns, snapshots, lineage';
    this._search = h('input', {
      class: 'jp-mod-styled nl-search',
      type: 'search',
      placeholder: 'Search tables and columns',
      'aria-label': 'Search tables and columns',
      'data-neurolake': 'lakehouse-search'
    });
    this._search.addEventListener('input', () => this._onSearch());
    const refresh = h(
      'button',
      {
        class: 'jp-Button jp-mod-minimal nl-icon-button',
        title: 'Refresh',
        'data-neurolake': 'lakehouse-refresh'
      },
      '\u21bb'
    );
    refresh.addEventListener('click', () => void this.refresh());
    this._results = h('div', { class: 'nl-search-results', hidden: true });
    this._tree = h('div', {
      class: 'nl-tree',
      'data-neurolake': 'lakehouse-tree'
    });
    this._message = h('div', { class: 'nl-panel-message' });
    this.node.append(
      h('div', { class: 'nl-panel-header' }, h('h2', {}, 'Lakehouse'), refresh),
      this._search,
      this._results,
      this._message,
      this._tree
    );
  }

  /** Reload namespaces and tables, keeping open tables open. */
  async refresh(): Promise<void> {
    const open = new Set(
      Array.from(
        this._tree.querySelectorAll<HTMLDetailsElement>(
          'details[data-table][open]'
        )
      ).map(d => d.dataset.table as string)
    );
    try {
      const tables = await this.api.tables(undefined, 0, 500);
      this._message.textContent =
        tables.total === 0
          ? 'No tables yet: write one with %%sql CREATE TABLE ns.name AS ...'
          : '';
      this._render(tables.items, open);
    } catch (err) {
      this._message.textContent = `Cannot read the lakehouse: ${(err as Error).message}`;
    }
  }

  protected onAfterShow(): void {
    void this.refresh();
  }

  private _render(tables: ITableSummary[], open: Set<string>): void {
    const byNamespace = new Map<string, ITableSummary[]>();
    for (const t of tables) {
      byNamespace.set(t.namespace, [
        ...(byNamespace.get(t.namespace) ?? []),
        t
      ]);
    }
    const nodes: HTMLElement[] = [];
    for (const [ns, items] of byNamespace) {
      const nsNode = h(
        'details',
        { class: 'nl-namespace', open: true, 'data-namespace': ns },
        h(
          'summary',
          {},
          h('span', { class: 'nl-ns-name' }, ns),
          h('span', { class: 'nl-muted' }, ` ${items.length}`)
        )
      );
      for (const t of items) {
        nsNode.append(this._tableNode(t, open.has(t.id)));
      }
      nodes.push(nsNode);
    }
    this._tree.replaceChildren(...nodes);
  }

  private _tableNode(t: ITableSummary, open: boolean): HTMLElement {
    const name = h(
      'span',
      {
        class: 'nl-table-name',
        draggable: 'true',
        title: `${t.description}\nDouble-click or drag to insert ${t.id}`,
        'data-neurolake': 'lakehouse-table'
      },
      t.name
    );
    name.addEventListener('dblclick', event => {
      event.preventDefault();
      this.actions.insertName(t.id);
    });
    name.addEventListener('dragstart', event => {
      event.dataTransfer?.setData('text/plain', t.id);
    });
    const summary = h(
      'summary',
      {},
      name,
      t.pii_columns > 0
        ? h(
            'span',
            { class: 'nl-pii-tag', title: `${t.pii_columns} PII columns` },
            'PII'
          )
        : null,
      h(
        'span',
        { class: 'nl-muted nl-right' },
        t.rows === null ? '' : `${formatCount(t.rows)} rows`
      )
    );
    const node = h(
      'details',
      { class: 'nl-table-node', 'data-table': t.id },
      summary
    );
    const body = h(
      'div',
      { class: 'nl-table-body' },
      h('div', { class: 'nl-muted' }, 'Loading\u2026')
    );
    node.append(body);
    let loaded = false;
    node.addEventListener('toggle', () => {
      if (node.open) {
        this.selected.emit(t.id);
        if (!loaded) {
          loaded = true;
          void this._loadTable(t.id, body);
        }
      }
    });
    if (open) {
      node.open = true;
    }
    return node;
  }

  private async _loadTable(id: string, body: HTMLElement): Promise<void> {
    try {
      const [detail, snaps] = await Promise.all([
        this.api.table(id),
        this.api.snapshots(id, 0, 10)
      ]);
      body.replaceChildren(
        this._columns(detail),
        this._snapshots(snaps.items, snaps.total),
        this._lineage(id)
      );
    } catch (err) {
      body.replaceChildren(
        h('div', { class: 'nl-error' }, (err as Error).message)
      );
    }
  }

  private _columns(detail: ITableDetail): HTMLElement {
    const commit = detail.last_commit;
    const list = h('ul', { class: 'nl-columns' });
    for (const c of detail.columns) {
      list.append(
        h(
          'li',
          { title: c.description || c.name, 'data-column': c.name },
          h('span', { class: 'nl-col-name' }, c.name),
          h('span', { class: 'nl-col-type' }, c.type),
          c.pii
            ? h(
                'span',
                {
                  class: 'nl-pii-tag',
                  title: `PII (${c.pii_source ?? 'tag'})`
                },
                c.pii
              )
            : null,
          c.description
            ? h('div', { class: 'nl-col-desc' }, c.description)
            : null
        )
      );
    }
    return h(
      'div',
      {},
      detail.description
        ? h('p', { class: 'nl-table-desc' }, detail.description)
        : null,
      h(
        'div',
        { class: 'nl-muted' },
        `${detail.rows === null ? '?' : formatCount(detail.rows)} rows`,
        commit?.committed_at
          ? h(
              'span',
              { title: commit.committed_at },
              ` \u00b7 last commit ${ago(commit.committed_at)}${commit.user ? ` by ${commit.user}` : ''}`
            )
          : null
      ),
      list
    );
  }

  private _snapshots(items: ISnapshot[], total: number): HTMLElement {
    const list = h('ul', {
      class: 'nl-snapshots',
      'data-neurolake': 'lakehouse-snapshots'
    });
    for (const s of items) {
      const asOf = h(
        'button',
        {
          class: 'jp-Button jp-mod-minimal nl-link',
          title: s.query,
          'data-neurolake': 'query-as-of'
        },
        'query as of'
      );
      asOf.addEventListener('click', () => this.actions.insertQuery(s.query));
      list.append(
        h(
          'li',
          {},
          h(
            'span',
            { title: String(s.snapshot_id) },
            `${s.operation ?? 'commit'}`
          ),
          h(
            'span',
            { class: 'nl-muted', title: s.committed_at ?? '' },
            ` ${ago(s.committed_at)}`
          ),
          s.total_rows !== null
            ? h(
                'span',
                { class: 'nl-muted' },
                ` \u00b7 ${formatCount(s.total_rows)} rows`
              )
            : null,
          s.current ? h('span', { class: 'nl-muted' }, ' (current)') : null,
          ' ',
          asOf
        )
      );
    }
    return h(
      'details',
      { class: 'nl-subsection' },
      h('summary', {}, `Snapshots (${total})`),
      list
    );
  }

  private _lineage(id: string): HTMLElement {
    const body = h('div', { class: 'nl-lineage-tables' });
    const node = h(
      'details',
      { class: 'nl-subsection', 'data-neurolake': 'lakehouse-lineage' },
      h('summary', {}, 'Lineage'),
      body
    );
    node.addEventListener('toggle', () => {
      if (!node.open || body.childElementCount > 0) {
        return;
      }
      void Promise.all([
        this.api.lineage(id, 'upstream'),
        this.api.lineage(id, 'downstream')
      ])
        .then(([up, down]) => {
          const list = (label: string, tables: string[]) =>
            h(
              'div',
              {},
              h('b', {}, label),
              tables.length === 0
                ? h('span', { class: 'nl-muted' }, ' none recorded')
                : h('ul', {}, ...tables.map(t => h('li', {}, t)))
            );
          body.replaceChildren(
            list('Upstream (made from)', up.tables),
            list('Downstream (made from it)', down.tables)
          );
        })
        .catch((err: ApiError) =>
          body.replaceChildren(h('div', { class: 'nl-error' }, err.message))
        );
    });
    return node;
  }

  private _onSearch(): void {
    window.clearTimeout(this._searchTimer);
    const q = this._search.value.trim();
    if (!q) {
      this._results.hidden = true;
      this._results.replaceChildren();
      return;
    }
    this._searchTimer = window.setTimeout(() => {
      void this.api
        .search(q, 20)
        .then(found => {
          if (this._search.value.trim() !== q) {
            return; // a newer search is under way
          }
          this._results.hidden = false;
          this._results.replaceChildren(
            found.items.length === 0
              ? h('div', { class: 'nl-muted' }, 'Nothing found')
              : h(
                  'ul',
                  { 'data-neurolake': 'lakehouse-search-results' },
                  ...found.items.map(hit => {
                    const li = h(
                      'li',
                      { title: hit.description, draggable: 'true' },
                      h('span', { class: 'nl-col-name' }, hit.id),
                      hit.type
                        ? h('span', { class: 'nl-col-type' }, hit.type)
                        : null,
                      hit.pii
                        ? h('span', { class: 'nl-pii-tag' }, hit.pii)
                        : null
                    );
                    li.addEventListener('dblclick', () =>
                      this.actions.insertName(
                        hit.column ? hit.column : hit.table
                      )
                    );
                    li.addEventListener('dragstart', e =>
                      e.dataTransfer?.setData(
                        'text/plain',
                        hit.column ?? hit.table
                      )
                    );
                    li.addEventListener('click', () => this._reveal(hit.table));
                    return li;
                  })
                )
          );
        })
        .catch((err: Error) => {
          this._results.hidden = false;
          this._results.replaceChildren(
            h('div', { class: 'nl-error' }, err.message)
          );
        });
    }, 200);
  }

  /** Opens a table's node in the tree and scrolls to it. */
  private _reveal(table: string): void {
    const node = this._tree.querySelector<HTMLDetailsElement>(
      `details[data-table="${CSS.escape(table)}"]`
    );
    if (node) {
      node.open = true;
      node.scrollIntoView({ block: 'nearest' });
    }
  }

  private _search: HTMLInputElement;
  private _results: HTMLElement;
  private _tree: HTMLElement;
  private _message: HTMLElement;
  private _searchTimer = 0;
}
