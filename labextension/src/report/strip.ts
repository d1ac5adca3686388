/**
 * The strip under the result table: one small item per aspect of the report.
 *
 * Each section is a function of the report that returns an item or null, so later
 * parts (cost prediction, lineage, compliance, audit) add a section without
 * touching the others.
 */

import {
  basisText,
  explodingJoins,
  intervalText,
  joinText,
  misprediction,
  mispredictionLabel,
  rankedSuggestions,
  rowsText,
  suggestionSeverity
} from './cost';
import { formatBytes, formatCount, formatMs } from './format';
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
  /** Values kept on the element as `data-*` attributes (tests and styles read them). */
  data?: Record<string, string>;
}

/** A detail line with an action: ``apply`` is SQL that replaces the cell's query. */
export interface IDetail {
  text: string;
  apply?: string;
  severity?: Severity;
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

/** What the cell took (execution), or null when no time is known. */
function actualMs(report: IReport): number | null {
  return (
    report.cost.actual_ms ??
    report.timings.execute_ms ??
    report.timings.total_ms ??
    null
  );
}

/** The stage breakdown ("plan: 1.2 ms" per line), for tooltips. */
function stages(report: IReport): string {
  return Object.entries(report.timings)
    .map(([stage, value]) => `${stage.replace(/_ms$/, '')}: ${formatMs(value)}`)
    .join('\n');
}

/** Time: what the query took, with the stage breakdown as a tooltip (the cost item says it
 * beside the prediction when there is one). */
export const timeSection: StripSection = report => {
  const ms = actualMs(report);
  if (ms === null || report.cost.predicted_ms !== null) {
    return null;
  }
  return { id: 'time', label: formatMs(ms), title: stages(report) };
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

/**
 * Cost: the prediction beside what it took ("predicted 73.9 ms · took 14.00 s"); details give
 * the 80% interval, rows estimated against returned, how each join was read, and the cheaper
 * rewrites (apply on click). The item is a warning only for a suggestion that saves a
 * meaningful share of the time or a join that multiplies rows.
 */
export const costSection: StripSection = report => {
  const { cost } = report;
  if (cost.predicted_ms === null || cost.predicted_ms === undefined) {
    return null;
  }
  const took = actualMs(report);
  const suggestions = rankedSuggestions(cost);
  const warnings = suggestions.filter(
    s => suggestionSeverity(s, cost.predicted_ms) === 'warning'
  );
  const exploding = explodingJoins(cost);
  const interval = intervalText(cost.interval_ms);
  const basis = basisText(cost);
  let label = `predicted ${formatMs(cost.predicted_ms)}`;
  if (took !== null) {
    label += ` \u00b7 took ${formatMs(took)}`;
  }
  if (suggestions.length > 0) {
    label += ` \u00b7 ${suggestions.length} ${suggestions.length === 1 ? 'suggestion' : 'suggestions'}`;
  }
  const details: (string | IDetail)[] = [
    `predicted ${formatMs(cost.predicted_ms)}` +
      (interval
        ? ` (80% between ${interval.replace('\u2013', ' and ')})`
        : '') +
      (took !== null ? `, took ${formatMs(took)}` : ''),
    ...(basis ? [`predicted ${basis}`] : []),
    ...(cost.confidence !== null
      ? [`${Math.round(cost.confidence * 100)}% likely within 2\u00d7`]
      : []),
    ...(rowsText(cost) ? [rowsText(cost) as string] : []),
    ...(cost.estimated_bytes
      ? [`about ${formatBytes(cost.estimated_bytes)} scanned`]
      : []),
    ...(cost.joins ?? []).map(j => ({
      text: joinText(j),
      severity: (exploding.includes(j) ? 'warning' : 'info') as Severity
    })),
    ...suggestions.map(s => ({
      text:
        s.message +
        (s.predicted_saving_ms !== undefined
          ? ` (saves about ${formatMs(s.predicted_saving_ms)}${s.saving_share !== undefined ? `, ${Math.round(s.saving_share * 100)}% of the time` : ''})`
          : ''),
      apply: s.rewrite,
      severity: suggestionSeverity(s, cost.predicted_ms)
    }))
  ];
  const data: Record<string, string> = {
    predictedMs: String(cost.predicted_ms)
  };
  if (took !== null) {
    data.actualMs = String(took);
  }
  if (cost.interval_ms) {
    data.intervalLow = String(cost.interval_ms.low);
    data.intervalHigh = String(cost.interval_ms.high);
  }
  return {
    id: 'cost',
    neurolake: 'cost',
    label,
    title:
      `Predicted before the query ran${interval ? ` (80% between ${interval.replace('\u2013', ' and ')})` : ''}` +
      `; click for rows, joins and cheaper rewrites\n${stages(report)}`,
    severity: warnings.length > 0 || exploding.length > 0 ? 'warning' : 'info',
    details,
    data
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

/**
 * A prediction that missed by more than the kernel's factor (5×) either way is flagged beside
 * the cost item: "190× slower than predicted" (the cost model learns from the run).
 */
export const mispredictionSection: StripSection = report => {
  const miss = misprediction(report.cost);
  const { predicted_ms } = report.cost;
  const took = actualMs(report);
  if (!miss || predicted_ms === null || took === null) {
    return null;
  }
  return {
    id: 'misprediction',
    neurolake: 'misprediction',
    label: `\u26a0 ${mispredictionLabel(miss)}`,
    title:
      `Predicted ${formatMs(predicted_ms)}, took ${formatMs(took)}: off by more than ` +
      `${miss.factor}\u00d7. The cost model records this run and learns from it.`,
    severity: 'warning',
    data: { ratio: String(miss.ratio), direction: miss.direction }
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
