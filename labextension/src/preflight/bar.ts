/**
 * The preflight bar attached to a `%%sql`/`%%nl` cell (under its editor, not in the output):
 * predicted time and bytes, the PII columns the query would touch and what the policy will do
 * to each (masked / denied / allowed with a warning), and the optimizer's suggestion.
 */

import { formatBytes, formatMs } from '../report/format';
import { h } from '../util/dom';
import { IPreflightReply } from './client';

export type PiiAction = 'masked' | 'denied' | 'in clear' | 'allowed';

/** One PII column the query touches and what the policy does to it. */
export interface IPiiVerdict {
  column: string;
  entity: string;
  action: PiiAction;
}

/** The PII verdicts of a preflight answer. */
export function piiVerdicts(reply: IPreflightReply): IPiiVerdict[] {
  const compliance = reply.result?.compliance;
  if (!compliance) {
    return [];
  }
  const masked = new Set(compliance.masked.map(m => m.column));
  const denied = new Set(compliance.denied.map(d => d.column));
  const warned = compliance.warnings.join('\n');
  return compliance.pii_columns.map(c => ({
    column: c.column,
    entity: c.entity,
    action: denied.has(c.column)
      ? 'denied'
      : masked.has(c.column)
        ? 'masked'
        : warned.includes(c.column)
          ? 'in clear'
          : 'allowed'
  }));
}

/** The bar's content for an answer, or null when there is nothing to show. */
export function renderPreflight(reply: IPreflightReply): HTMLElement | null {
  const result = reply.result;
  if (!result || reply.kind === 'python') {
    return null;
  }
  const items: HTMLElement[] = [];
  if (result.error) {
    items.push(
      h(
        'span',
        {
          class: 'nl-pf-item nl-severity-error',
          'data-nl-item': 'error',
          title: result.error.hint ?? ''
        },
        `${result.error.title ? `${result.error.title}: ` : ''}${result.error.message}`
      )
    );
  }
  const cost = result.cost;
  if (cost && cost.predicted_ms !== null) {
    const parts = [`~${formatMs(cost.predicted_ms)}`];
    if (cost.estimated_bytes !== null) {
      parts.push(`${formatBytes(cost.estimated_bytes)} scanned`);
    }
    items.push(
      h(
        'span',
        {
          class: 'nl-pf-item',
          'data-nl-item': 'cost',
          title:
            cost.confidence !== null
              ? `predicted before running; ${Math.round(cost.confidence * 100)}% likely within 2\u00d7`
              : 'predicted before running'
        },
        parts.join(' \u00b7 ')
      )
    );
  }
  const verdicts = piiVerdicts(reply);
  for (const v of verdicts) {
    const severity =
      v.action === 'denied'
        ? 'error'
        : v.action === 'in clear'
          ? 'warning'
          : 'info';
    items.push(
      h(
        'span',
        {
          class: `nl-pf-item nl-severity-${severity}`,
          'data-nl-item': 'pii',
          'data-action': v.action,
          title: `${v.column} holds ${v.entity}`
        },
        `PII ${v.column.split('.').pop()} (${v.entity}): ${v.action}`
      )
    );
  }
  for (const f of result.compliance?.row_filters ?? []) {
    items.push(
      h(
        'span',
        { class: 'nl-pf-item', 'data-nl-item': 'row-filter' },
        `rows filtered on ${f.table}`
      )
    );
  }
  const suggestion = cost?.suggestions?.[0];
  if (suggestion) {
    items.push(
      h(
        'span',
        {
          class: 'nl-pf-item nl-severity-warning',
          'data-nl-item': 'suggestion',
          title: suggestion.rewrite ?? ''
        },
        `\u2728 ${suggestion.message}`
      )
    );
  }
  if (items.length === 0) {
    return null;
  }
  return h(
    'div',
    { class: 'nl-preflight-items' },
    h('span', { class: 'nl-pf-label' }, 'preflight'),
    ...items
  );
}
