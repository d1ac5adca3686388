/**
 * The preflight bar attached to a `%%sql`/`%%nl` cell (under its editor, not in the output):
 * predicted time and bytes (or that the result cache answers it), the PII columns the query
 * would touch and what the policy will do to each (masked / denied / allowed with a warning),
 * and the optimizer's suggestion.
 */

import {
  explodingJoins,
  intervalText,
  joinText,
  rankedSuggestions,
  suggestionSeverity
} from '../report/cost';
import { formatBytes, formatCount, formatMs } from '../report/format';
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
  if (result.cached) {
    const rows = cost?.estimated_rows;
    items.push(
      h(
        'span',
        {
          class: 'nl-pf-item',
          'data-nl-item': 'cached',
          title:
            'the tables are at the same snapshots as when this result was kept: ' +
            'running the cell reads nothing' +
            (rows !== null && rows !== undefined
              ? `; ${formatCount(rows)} rows come back`
              : '')
        },
        'from the result cache · ~0 ms'
      )
    );
  } else if (cost && cost.predicted_ms !== null) {
    const interval = intervalText(cost.interval_ms);
    const parts = [
      `~${formatMs(cost.predicted_ms)}${interval ? ` (${interval})` : ''}`
    ];
    if (cost.estimated_bytes !== null) {
      parts.push(`${formatBytes(cost.estimated_bytes)} scanned`);
    }
    const title = ['predicted before running'];
    if (interval) {
      title.push(`80% between ${interval.replace('\u2013', ' and ')}`);
    }
    if (cost.confidence !== null) {
      title.push(`${Math.round(cost.confidence * 100)}% likely within 2\u00d7`);
    }
    if (cost.estimated_rows !== null) {
      title.push(`about ${formatCount(cost.estimated_rows)} rows out`);
    }
    items.push(
      h(
        'span',
        {
          class: 'nl-pf-item',
          'data-nl-item': 'cost',
          title: title.join('; ')
        },
        parts.join(' \u00b7 ')
      )
    );
  }
  for (const j of explodingJoins(cost)) {
    items.push(
      h(
        'span',
        {
          class: 'nl-pf-item nl-severity-warning',
          'data-nl-item': 'join',
          title: joinText(j)
        },
        `${j.kind === 'cross' ? 'cross join' : 'many-to-many join'}: ~${formatCount(j.estimated_rows)} rows`
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
  const suggestion = cost ? rankedSuggestions(cost)[0] : undefined;
  if (cost && suggestion) {
    const severity = suggestionSeverity(suggestion, cost.predicted_ms);
    items.push(
      h(
        'span',
        {
          class: `nl-pf-item nl-severity-${severity}`,
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
