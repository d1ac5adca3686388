/**
 * The right sidebar "Governance": the audit log (latest first; filters by user, table and
 * decision; Verify), the policy in force (policies.yaml, read-only, with its validation errors),
 * and the PII classification of the table selected in the Lakehouse panel, which the workspace
 * owner can override column by column.
 */

import { Widget } from '@lumino/widgets';

import { IAuditRecord, IPiiColumn, NeuroLakeApi } from '../api/client';
import { ago, h, present } from '../util/dom';

const DECISIONS = ['allowed', 'masked', 'filtered', 'denied', 'error'];
/** Entities the owner can pick when overriding a tag (Presidio's names plus ours). */
export const PII_ENTITIES = [
  'PERSON',
  'EMAIL_ADDRESS',
  'PHONE_NUMBER',
  'STREET_ADDRESS',
  'LOCATION',
  'DATE_OF_BIRTH',
  'US_SSN',
  'CREDIT_CARD',
  'IBAN_CODE',
  'IP_ADDRESS'
];

export class GovernancePanel extends Widget {
  constructor(private readonly api: NeuroLakeApi) {
    super();
    this.id = 'neurolake-governance';
    this.addClass('nl-panel');
    this.node.dataset.neurolake = 'governance-panel';
    this.title.caption = 'Governance: audit log, policies, PII';

    this._user = this._filter('user', 'User');
    this._table = this._filter('table', 'Table (ns.table)');
    this._decision = h(
      'select',
      {
        class: 'jp-mod-styled',
        'aria-label': 'Decision',
        'data-neurolake': 'audit-decision'
      },
      h('option', { value: '' }, 'any decision'),
      ...DECISIONS.map(d => h('option', { value: d }, d))
    );
    this._decision.addEventListener('change', () => void this.refreshAudit());
    const verify = h(
      'button',
      {
        class: 'jp-Button jp-mod-styled jp-mod-reject nl-verify',
        'data-neurolake': 'audit-verify'
      },
      'Verify'
    );
    verify.addEventListener('click', () => void this._verify());
    this._verifyStatus = h('span', {
      class: 'nl-verify-status',
      'data-neurolake': 'audit-verify-status'
    });
    this._audit = h('ol', {
      class: 'nl-audit',
      'data-neurolake': 'audit-list'
    });
    this._more = h(
      'button',
      { class: 'jp-Button jp-mod-minimal nl-link', hidden: true },
      'Older records'
    );
    this._more.addEventListener('click', () => void this.refreshAudit(true));
    this._policies = h('div', {
      class: 'nl-policies',
      'data-neurolake': 'policies'
    });
    this._pii = h(
      'div',
      { class: 'nl-pii-panel', 'data-neurolake': 'pii-classification' },
      h(
        'div',
        { class: 'nl-muted' },
        'Open a table in the Lakehouse panel to see its PII classification.'
      )
    );

    const refresh = h(
      'button',
      {
        class: 'jp-Button jp-mod-minimal nl-icon-button',
        title: 'Refresh',
        'data-neurolake': 'governance-refresh'
      },
      '\u21bb'
    );
    refresh.addEventListener('click', () => void this.refresh());
    this.node.append(
      h(
        'div',
        { class: 'nl-panel-header' },
        h('h2', {}, 'Governance'),
        refresh
      ),
      h(
        'details',
        { class: 'nl-section', open: true },
        h('summary', {}, 'Audit log'),
        h(
          'div',
          { class: 'nl-filters' },
          this._user,
          this._table,
          this._decision
        ),
        h('div', { class: 'nl-verify-row' }, verify, this._verifyStatus),
        this._audit,
        this._more
      ),
      h(
        'details',
        { class: 'nl-section', open: true },
        h('summary', {}, 'PII classification'),
        this._pii
      ),
      h(
        'details',
        { class: 'nl-section' },
        h('summary', {}, 'Policies'),
        this._policies
      )
    );
  }

  async refresh(): Promise<void> {
    await Promise.all([
      this.refreshAudit(),
      this.refreshPolicies(),
      this._whoAmI()
    ]);
  }

  protected onAfterShow(): void {
    void this.refresh();
  }

  /** The latest audit records under the current filters (`more`: append the next page). */
  async refreshAudit(more = false): Promise<void> {
    const offset = more ? this._audit.childElementCount : 0;
    try {
      const page = await this.api.audit(
        {
          user: this._user.value.trim() || undefined,
          table: this._table.value.trim() || undefined,
          decision: this._decision.value || undefined
        },
        offset,
        25
      );
      const items = page.items.map(r => this._record(r));
      if (more) {
        this._audit.append(...items);
      } else {
        this._audit.replaceChildren(...items);
        if (items.length === 0) {
          this._audit.append(
            h('li', { class: 'nl-muted' }, 'No records match.')
          );
        }
      }
      this._more.hidden = offset + page.items.length >= page.total;
    } catch (err) {
      this._audit.replaceChildren(
        h('li', { class: 'nl-error' }, (err as Error).message)
      );
    }
  }

  async refreshPolicies(): Promise<void> {
    try {
      const p = await this.api.policies();
      this._owner = p.owner;
      this._policies.replaceChildren(
        ...present(
          h(
            'div',
            { class: 'nl-muted' },
            p.exists
              ? p.path
              : 'No policies.yaml: the built-in policy applies (everyone but the owner sees PII masked).'
          ),
          h(
            'div',
            {},
            `version ${p.version} \u00b7 ${p.source} \u00b7 mode ${p.mode} \u00b7 ${p.rules} rules, ${p.row_filters} row filters`
          ),
          ...p.errors.map(e =>
            h(
              'div',
              { class: 'nl-error', 'data-neurolake': 'policy-error' },
              e.message,
              e.hint ? h('div', { class: 'nl-muted' }, e.hint) : null
            )
          ),
          p.text ? h('pre', { class: 'nl-policy-text' }, p.text) : null
        )
      );
    } catch (err) {
      this._policies.replaceChildren(
        h('div', { class: 'nl-error' }, (err as Error).message)
      );
    }
  }

  /** Shows the PII classification of `table` (the Lakehouse panel's selection). */
  async showPii(table: string): Promise<void> {
    this._piiTable = table;
    this._pii.replaceChildren(
      h('div', { class: 'nl-muted' }, `Classifying ${table}\u2026`)
    );
    try {
      if (this._me === null) {
        // the panel may not have been shown yet: who is asking, and who owns the workspace
        await Promise.all([this._whoAmI(), this.refreshPolicies()]);
      }
      const found = await this.api.pii(table);
      if (this._piiTable !== table) {
        return;
      }
      const owner = this._me !== null && this._me === this._owner;
      this._pii.replaceChildren(
        ...present(
          h('div', { class: 'nl-pii-title' }, table),
          h(
            'table',
            { class: 'nl-pii-table' },
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                h('th', {}, 'column'),
                h('th', {}, 'PII'),
                h('th', {}, 'confidence')
              )
            ),
            h(
              'tbody',
              {},
              ...found.columns.map(c => this._piiRow(table, c, owner))
            )
          ),
          owner
            ? null
            : h(
                'div',
                { class: 'nl-muted' },
                `Only the workspace owner (${this._owner ?? '?'}) can override tags.`
              )
        )
      );
    } catch (err) {
      this._pii.replaceChildren(
        h('div', { class: 'nl-error' }, (err as Error).message)
      );
    }
  }

  private _piiRow(table: string, c: IPiiColumn, owner: boolean): HTMLElement {
    const label = c.entity ?? 'none';
    let cell: HTMLElement = h(
      'span',
      { class: c.entity ? 'nl-pii-tag' : 'nl-muted' },
      label
    );
    if (owner) {
      const select = h(
        'select',
        {
          class: 'jp-mod-styled nl-pii-select',
          'aria-label': `PII of ${c.column}`,
          'data-column': c.column
        },
        h('option', { value: '' }, 'not PII'),
        ...Array.from(
          new Set([...PII_ENTITIES, ...(c.entity ? [c.entity] : [])])
        ).map(e => h('option', { value: e, selected: e === c.entity }, e))
      );
      select.addEventListener('change', () => {
        void this.api
          .setPii(table, c.column, select.value || null)
          .then(() => this.showPii(table))
          .catch((err: Error) =>
            this._pii.prepend(h('div', { class: 'nl-error' }, err.message))
          );
      });
      cell = select;
    }
    return h(
      'tr',
      { 'data-column': c.column },
      h('td', {}, c.column),
      h('td', {}, cell, provenance(c)),
      h('td', { class: 'nl-number' }, `${Math.round(c.confidence * 100)}%`)
    );
  }

  private _record(r: IAuditRecord): HTMLElement {
    return h(
      'li',
      {
        class: `nl-audit-record nl-decision-${r.decision}`,
        'data-audit-id': r.id
      },
      h(
        'div',
        { class: 'nl-audit-head' },
        h(
          'span',
          { class: `nl-decision nl-decision-${r.decision}` },
          r.decision
        ),
        h('span', {}, ` ${r.kind} by ${r.user}`),
        h('span', { class: 'nl-muted nl-right', title: r.time }, ago(r.time))
      ),
      r.sql ? h('code', { class: 'nl-audit-sql', title: r.sql }, r.sql) : null,
      r.error ? h('div', { class: 'nl-error' }, r.error) : null,
      h(
        'div',
        { class: 'nl-muted' },
        r.id,
        r.tables.length ? ` \u00b7 ${r.tables.join(', ')}` : ''
      )
    );
  }

  private async _verify(): Promise<void> {
    this._verifyStatus.textContent = 'checking\u2026';
    this._verifyStatus.className = 'nl-verify-status';
    try {
      const v = await this.api.verify();
      this._verifyStatus.textContent = v.ok
        ? `intact: ${v.records} records${v.reason ? ` (${v.reason})` : ''}`
        : `NOT intact: ${v.reason ?? ''}${v.first_bad !== null ? ` (first bad record ${v.first_bad})` : ''}`;
      this._verifyStatus.classList.add(v.ok ? 'nl-ok' : 'nl-error');
    } catch (err) {
      this._verifyStatus.textContent = (err as Error).message;
      this._verifyStatus.classList.add('nl-error');
    }
  }

  private async _whoAmI(): Promise<void> {
    try {
      this._me = (await this.api.status()).user;
    } catch {
      this._me = null;
    }
  }

  private _filter(name: string, placeholder: string): HTMLInputElement {
    const input = h('input', {
      class: 'jp-mod-styled',
      type: 'search',
      placeholder,
      'aria-label': placeholder,
      'data-neurolake': `audit-${name}`
    });
    input.addEventListener('change', () => void this.refreshAudit());
    return input;
  }

  private _user: HTMLInputElement;
  private _table: HTMLInputElement;
  private _decision: HTMLSelectElement;
  private _verifyStatus: HTMLElement;
  private _audit: HTMLElement;
  private _more: HTMLButtonElement;
  private _policies: HTMLElement;
  private _pii: HTMLElement;
  private _piiTable: string | null = null;
  private _owner: string | null = null;
  private _me: string | null = null;
}

/** Why a column has the tag it has, when not from the classifier: the owner, or a copy. */
function provenance(c: IPiiColumn): HTMLElement | null {
  if (c.source === 'override') {
    return h(
      'span',
      { class: 'nl-muted', title: 'set by the owner' },
      ' (override)'
    );
  }
  if (c.source === 'carried') {
    const from = c.origin?.length ? c.origin.join(', ') : 'a PII column';
    return h(
      'span',
      {
        class: 'nl-muted',
        title: `copied by a write from ${from}: the copy is as personal as its source`,
        'data-neurolake': 'pii-carried'
      },
      ` (carried from ${from})`
    );
  }
  return null;
}
