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
  label: string;
  title?: string;
  severity?: Severity;
}

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

/** Compliance: a warning when columns were masked or policies warned. */
export const complianceSection: StripSection = report => {
  const { masked, warnings } = report.compliance;
  if (masked.length === 0 && warnings.length === 0) {
    return null;
  }
  const parts: string[] = [];
  if (masked.length > 0) {
    parts.push(
      `${masked.length} ${masked.length === 1 ? 'column' : 'columns'} masked`
    );
  }
  if (warnings.length > 0) {
    parts.push(
      `${warnings.length} ${warnings.length === 1 ? 'warning' : 'warnings'}`
    );
  }
  const title = [
    ...masked.map(m => `${m.column}: ${m.method}`),
    ...warnings
  ].join('\n');
  return {
    id: 'compliance-warnings',
    label: parts.join(', '),
    title,
    severity: 'warning'
  };
};

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
    severity: 'info'
  };
};

/** The sections in display order; later issues append to this list. */
export const STRIP_SECTIONS: StripSection[] = [
  rowsSection,
  timeSection,
  complianceSection,
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
