/**
 * Reading a report's cost part for people: predicted against actual, the 80% interval, how
 * the joins were read, which suggestions deserve a warning, and whether the prediction missed.
 * The strip and the preflight bar both say these things, in the same words.
 */

import { formatCount, formatMs } from './format';
import {
  ICost,
  IInterval,
  IJoinEstimate,
  IMisprediction,
  ISuggestion
} from './types';

/** The kernel's factor (cost/prediction.py); used only for reports that predate the field. */
export const MISPREDICTION_FACTOR = 5;
/** For reports without `severity`: a suggestion worth a warning saves this share ... */
export const WARNING_SHARE = 0.25;
/** ... and at least this many milliseconds. */
export const WARNING_MIN_MS = 100;

/** `190×` above ten, `5.9×` below. */
export function formatRatio(ratio: number): string {
  return `${ratio >= 10 ? Math.round(ratio) : ratio.toFixed(1)}\u00d7`;
}

/**
 * How far the prediction missed, when it missed by more than the kernel's factor: the report's
 * own judgement (`cost.misprediction`), or, for a report written before the kernel made one,
 * the same rule applied here.
 */
export function misprediction(cost: ICost): IMisprediction | null {
  if (cost.misprediction !== undefined) {
    return cost.misprediction;
  }
  const { predicted_ms, actual_ms } = cost;
  if (!predicted_ms || !actual_ms || predicted_ms <= 0 || actual_ms <= 0) {
    return null;
  }
  const ratio = Math.max(actual_ms / predicted_ms, predicted_ms / actual_ms);
  if (ratio <= MISPREDICTION_FACTOR) {
    return null;
  }
  return {
    ratio,
    direction: actual_ms > predicted_ms ? 'slower' : 'faster',
    factor: MISPREDICTION_FACTOR
  };
}

/** The flag's words: "190× slower than predicted". */
export function mispredictionLabel(miss: IMisprediction): string {
  return `${formatRatio(miss.ratio)} ${miss.direction} than predicted`;
}

/**
 * Whether a suggestion is worth a warning: the kernel says so in `severity`; an older report is
 * judged by the same rule (a meaningful share of a noticeable time).
 */
export function suggestionSeverity(
  s: ISuggestion,
  predictedMs: number | null
): 'info' | 'warning' {
  if (s.severity) {
    return s.severity;
  }
  const saving = s.predicted_saving_ms ?? 0;
  const share = s.saving_share ?? (predictedMs ? saving / predictedMs : 0);
  return saving >= WARNING_MIN_MS && share >= WARNING_SHARE
    ? 'warning'
    : 'info';
}

/** The suggestions, warnings first (the order the kernel gave is kept within each kind). */
export function rankedSuggestions(cost: ICost): ISuggestion[] {
  const warn = (s: ISuggestion) =>
    suggestionSeverity(s, cost.predicted_ms) === 'warning';
  return [
    ...cost.suggestions.filter(warn),
    ...cost.suggestions.filter(s => !warn(s))
  ];
}

/** "17.0 ms–781.5 ms", or null when the report has no interval. */
export function intervalText(
  interval: IInterval | undefined,
  format: (n: number) => string = formatMs
): string | null {
  if (!interval) {
    return null;
  }
  return `${format(interval.low)}\u2013${format(interval.high)}`;
}

const BASIS: Record<string, string> = {
  analytic: 'from fixed rates and this machine\u2019s speed (no history yet)',
  model: 'from the cost model learned on this workspace\u2019s runs',
  repeat: 'from earlier runs of the same statement on the same snapshots'
};

/** Where the prediction came from, in words (null when the report does not say). */
export function basisText(cost: ICost): string | null {
  return cost.basis ? (BASIS[cost.basis] ?? null) : null;
}

const JOIN_KIND: Record<string, string> = {
  one_to_one: 'one-to-one join',
  one_to_many: 'one-to-many join',
  many_to_many: 'many-to-many join',
  cross: 'cross join',
  inequality: 'inequality join',
  semi: 'semi-join',
  other: 'join'
};

/** Joins that multiply rows: shown as a warning before and after the query runs. */
export function explodingJoins(
  cost: ICost | null | undefined
): IJoinEstimate[] {
  return (cost?.joins ?? []).filter(
    j => j.kind === 'cross' || j.kind === 'many_to_many'
  );
}

/** "cross join of retail.orders × retail.orders: 2,999 × 2,999 rows → ~9,000,000". */
export function joinText(j: IJoinEstimate): string {
  const tables = j.tables?.length ? ` of ${j.tables.join(' \u00d7 ')}` : '';
  const keys = j.keys?.length ? ` on ${j.keys.join(', ')}` : '';
  const inputs =
    j.left_rows !== undefined && j.right_rows !== undefined
      ? `: ${formatCount(j.left_rows)} \u00d7 ${formatCount(j.right_rows)} rows`
      : '';
  return `${JOIN_KIND[j.kind] ?? 'join'}${tables}${keys}${inputs} \u2192 ~${formatCount(j.estimated_rows)} rows`;
}

/** "estimated 63 rows (80%: 10–400), returned 53,109", or null without an estimate. */
export function rowsText(cost: ICost): string | null {
  if (cost.estimated_rows === null) {
    return null;
  }
  const range = intervalText(cost.rows_interval, formatCount);
  const actual =
    cost.actual_rows !== undefined && cost.actual_rows !== null
      ? `, returned ${formatCount(cost.actual_rows)}`
      : '';
  return `rows: estimated ${formatCount(cost.estimated_rows)}${range ? ` (80%: ${range})` : ''}${actual}`;
}
