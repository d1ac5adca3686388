/**
 * The strip under the result table: one small item per aspect of the report.
 *
 * Each section is a function of the report that returns an item or null, so later
 * parts (cost prediction, lineage, compliance, audit) add a section without
 * touching the others.
 */

import { formatCount, formatMs } from './format';
import { IReport } from './types';

export type Severity = 'info' | 'warning' | 'error';

export interface IStripItem {
  /** Stable id, rendered as data-nl-item (tests and styles use it). */
  id: string;
  /** The item's stable `data-neurolake` attribute (cost, pii, lineage, ...). */
  neurolake?: string;
  label: string;
  title?: string;
  severity?: Severity;
  /** Lines shown under the strip when the item is clicked (it becomes a button). */
  details?: (string | IDetail)[];
}

/** A detail line with an action: ``apply`` is SQL that replaces the cell's query. */
export interface IDetail {
  text: string;
  apply?: string;
}

/** The event an "apply" button sends; the notebook plugin puts the SQL into the cell. */
export const APPLY_REWRITE_EVENT = 'neurolake:apply-rewrite';

export type StripSection = (report: IReport) => IStripItem | null;

/** Rows: how many there are, and how many the preview shows. */
export const rowsSection: StripSection = report => {
  const { result } = report;
  if (result.columns.length === 0) {
    return {
      id: 'rows',
      label: report.statement_type || 'OK',
      title: 'The statement returned no rows'
    };
  }
  const n = result.row_count;
  const label = result.truncated
    ? `showing ${formatCount(result.rows_preview.length)} of ${formatCount(n)} rows`
    : `${formatCount(n)} ${n === 1 ? 'row' : 'rows'}`;
  return { id: 'rows', label };
};

/** Time: what the query took (execution), with the stage breakdown as a tooltip. */
export const timeSection: StripSection = report => {
  const ms =
    report.cost.actual_ms ??
    report.timings.execute_ms ??
    report.timings.total_ms ??
    null;
  if (ms === null || ms === undefined) {
    return null;
  }
  const stages = Object.entries(report.timings)
    .map(([stage, value]) => `${stage.replace(/_ms$/, '')}: ${formatMs(value)}`)
    .join('\n');
  return { id: 'time', label: formatMs(ms), title: stages };
};

/** Compliance: PII read, masks, row filters, denials and warnings; details on click. */
export const complianceSection: StripSection = report => {
  const { pii_columns, masked, row_filters, denied, warnings } =
    report.compliance;
  if (
    pii_columns.length +
      masked.length +
      row_filters.length +
      denied.length +
      warnings.length ===
    0
  ) {
    return null;
  }
  const plural = (n: number, word: string) =>
    `${n} ${word}${n === 1 ? '' : 's'}`;
  const parts: string[] = [];
  if (pii_columns.length > 0) {
    parts.push(`PII: ${plural(pii_columns.length, 'column')}`);
  }
  if (masked.length > 0) {
    parts.push(`${masked.length} masked`);
  }
  if (row_filters.length > 0) {
    parts.push(plural(row_filters.length, 'row filter'));
  }
  if (denied.length > 0) {
    parts.push(`${denied.length} denied`);
  }
  if (parts.length === 0) {
    parts.push(plural(warnings.length, 'warning'));
  }
  const details = [
    ...pii_columns.map(
      c =>
        `PII column ${c.column}: ${c.entity}${c.category ? ` (${c.category})` : ''}`
    ),
    ...masked.map(
      m =>
        `masked ${m.column} (${m.method}${m.policy ? `, policy ${m.policy}` : ''})`
    ),
    ...row_filters.map(
      f =>
        `row filter on ${f.table}: ${f.predicate}${f.policy ? ` (policy ${f.policy})` : ''}`
    ),
    ...denied.map(d => `denied ${d.column} (policy ${d.policy})`),
    ...warnings.map(w => `warning: ${w}`)
  ];
  if (report.audit_id) {
    details.push(`audit record ${report.audit_id}`);
  }
  const inClear = pii_columns.length > masked.length;
  return {
    id: 'compliance',
    neurolake: 'pii',
    label: parts.join(' · '),
    title: 'What the policies did; click for details',
    severity:
      denied.length > 0
        ? 'error'
        : inClear || warnings.length
          ? 'warning'
          : 'info',
    details
  };
};

/** Cost: the prediction against what it took, and cheaper rewrites to apply on click. */
export const costSection: StripSection = report => {
  const { cost } = report;
  if (cost.predicted_ms === null || cost.predicted_ms === undefined) {
    return null;
  }
  const label =
    cost.suggestions.length > 0
      ? `predicted ${formatMs(cost.predicted_ms)} · ${cost.suggestions.length} ${cost.suggestions.length === 1 ? 'suggestion' : 'suggestions'}`
      : `predicted ${formatMs(cost.predicted_ms)}`;
  const details: (string | IDetail)[] = [
    `predicted ${formatMs(cost.predicted_ms)}` +
      (cost.actual_ms !== null && cost.actual_ms !== undefined
        ? `, took ${formatMs(cost.actual_ms)}`
        : '') +
      (cost.confidence !== null
        ? ` (${Math.round(cost.confidence * 100)}% likely within 2\u00d7)`
        : ''),
    ...(cost.estimated_rows !== null
      ? [`about ${formatCount(cost.estimated_rows)} rows out`]
      : []),
    ...(cost.estimated_bytes !== null
      ? [`about ${formatCount(cost.estimated_bytes)} bytes scanned`]
      : []),
    ...cost.suggestions.map(s => ({
      text:
        s.message +
        (s.predicted_saving_ms !== undefined
          ? ` (saves about ${formatMs(s.predicted_saving_ms)})`
          : ''),
      apply: s.rewrite
    }))
  ];
  return {
    id: 'cost',
    neurolake: 'cost',
    label,
    title:
      'The cost predicted before the query ran; click for details and cheaper rewrites',
    severity: cost.suggestions.length > 0 ? 'warning' : 'info',
    details
  };
};

/** Lineage: which stored columns the result came from; the graph opens on click. */
export const lineageSection: StripSection = report => {
  const { edges } = report.lineage;
  if (edges.length === 0) {
    return null;
  }
  const tables = new Set(
    edges.map(e => e.source.split('.').slice(0, -1).join('.'))
  );
  const sources = new Set(edges.map(e => e.source));
  return {
    id: 'lineage',
    neurolake: 'lineage',
    label: `lineage: ${sources.size} ${sources.size === 1 ? 'column' : 'columns'} of ${tables.size} ${tables.size === 1 ? 'table' : 'tables'}`,
    title: 'Where each result column comes from; click for the graph'
  };
};

/** How far the prediction was off, when it missed by more than this factor either way. */
export const MISPREDICTION_FACTOR = 10;

/** A prediction that missed by more than 10x is called out (the cost model learns from it). */
export const mispredictionSection: StripSection = report => {
  const { predicted_ms, actual_ms } = report.cost;
  if (
    predicted_ms === null ||
    predicted_ms === undefined ||
    actual_ms === null ||
    actual_ms === undefined ||
    predicted_ms <= 0 ||
    actual_ms <= 0
  ) {
    return null;
  }
  const ratio = Math.max(actual_ms / predicted_ms, predicted_ms / actual_ms);
  if (ratio <= MISPREDICTION_FACTOR) {
    return null;
  }
  const way = actual_ms > predicted_ms ? 'slower' : 'faster';
  return {
    id: 'misprediction',
    neurolake: 'misprediction',
    label: `${Math.round(ratio)}\u00d7 ${way} than predicted`,
    title: `Predicted ${formatMs(predicted_ms)}, took ${formatMs(actual_ms)}. The cost model records this run and learns from it.`,
    severity: 'warning'
  };
};

/** Audit: the id of the audit record that holds this statement. */
export const auditSection: StripSection = report =>
  report.audit_id
    ? {
        id: 'audit',
        label: `audit ${report.audit_id}`,
        title:
          'The record of this statement in the workspace audit log (%audit)'
      }
    : null;

/** Notices: what the cell did beyond its result (quarantined rows, layout advice). */
export const noticesSection: StripSection = report => {
  const notices = report.notices ?? [];
  if (notices.length === 0) {
    return null;
  }
  return {
    id: 'notices',
    label: notices.length === 1 ? notices[0] : `${notices.length} notices`,
    title: notices.join('\n'),
    severity: 'info',
    details: notices.length > 1 ? notices : undefined
  };
};

/** The sections in display order; later issues append to this list. */
export const STRIP_SECTIONS: StripSection[] = [
  rowsSection,
  timeSection,
  complianceSection,
  costSection,
  mispredictionSection,
  lineageSection,
  auditSection,
  noticesSection
];

export function stripItems(
  report: IReport,
  sections: StripSection[] = STRIP_SECTIONS
): IStripItem[] {
  return sections
    .map(section => section(report))
    .filter((item): item is IStripItem => item !== null);
}
