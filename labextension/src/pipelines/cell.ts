/**
 * A pipeline designed in the panel becomes a `%%pipeline` cell: the notebook stays the source
 * of truth, and running the cell is what creates (or updates) the pipeline.
 */

import { Mode } from './types';

/** What the designer's form collects. */
export interface IPipelineSpec {
  name: string;
  into: string;
  mode: Mode;
  key: string[];
  schedule: string;
  sql: string;
  /** the question the SQL was drafted from, kept as a comment above it */
  question?: string;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_-]{0,62}$/;
const TABLE = /^[A-Za-z_][\w$]*\.[A-Za-z_][\w$]*$/;
const BARE = /^[A-Za-z0-9_.,:*/-]+$/;

/** What is wrong with a spec, in one sentence (`null`: nothing). */
export function checkSpec(spec: IPipelineSpec): string | null {
  if (!NAME.test(spec.name)) {
    return 'Name: letters, digits, _ and -, starting with a letter.';
  }
  if (!TABLE.test(spec.into)) {
    return 'Target: an Iceberg table named namespace.table.';
  }
  if (spec.mode === 'merge' && spec.key.length === 0) {
    return 'A merge needs a key column.';
  }
  if (spec.mode !== 'merge' && spec.key.length > 0) {
    return 'Only a merge has a key.';
  }
  if (!spec.sql.trim()) {
    return 'Write the SELECT whose rows the pipeline writes (or ask for it).';
  }
  return null;
}

/** An option value as the magic's shell-like parser reads it back. */
export function quoteOption(value: string): string {
  if (BARE.test(value)) {
    return value;
  }
  return '"' + value.replace(/(["\\])/g, '\\$1') + '"';
}

/** The `%%pipeline` cell for a spec. */
export function pipelineCell(spec: IPipelineSpec): string {
  const parts = [`%%pipeline ${spec.name}`, `--into ${spec.into}`];
  if (spec.mode !== 'append') {
    parts.push(`--mode ${spec.mode}`);
  }
  if (spec.key.length > 0) {
    parts.push(`--key ${spec.key.join(',')}`);
  }
  if (spec.schedule.trim()) {
    parts.push(`--schedule ${quoteOption(spec.schedule.trim())}`);
  }
  const lines = [parts.join(' ')];
  if (spec.question?.trim()) {
    lines.push(`-- ${spec.question.trim().replace(/\s+/g, ' ')}`);
  }
  lines.push(spec.sql.trim().replace(/;\s*$/, ''));
  return lines.join('\n');
}

/** A first SQL for the chosen source tables (the user edits it). */
export function starterSql(sources: string[]): string {
  if (sources.length === 0) {
    return '';
  }
  if (sources.length === 1) {
    return `SELECT *\nFROM ${sources[0]}`;
  }
  const [first, ...rest] = sources;
  const joins = rest.map(
    (table, i) =>
      `JOIN ${table} AS t${i + 2} ON t${i + 2}.id = t1.id  -- the join key`
  );
  return [`SELECT *\nFROM ${first} AS t1`, ...joins].join('\n');
}
