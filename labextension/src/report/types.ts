/**
 * The cell report: the contract between the kernel and this extension.
 * Mirrors neurolake_lab/schema/report.schema.json (version 1); the tests validate
 * the shared examples against that schema.
 */

export const REPORT_MIME = 'application/vnd.neurolake.report+json';

/** One JSON value of a preview cell; lists and structs nest. */
export type PreviewValue =
  | string
  | number
  | boolean
  | null
  | PreviewValue[]
  | { [key: string]: PreviewValue };

export interface IColumn {
  name: string;
  /** DuckDB's type name, e.g. BIGINT, DECIMAL(10,2), DATE. */
  type: string;
}

export interface IResult {
  columns: IColumn[];
  rows_preview: PreviewValue[][];
  row_count: number;
  truncated: boolean;
  /** Where the kernel keeps the whole result, for paging (only in the NeuroLake kernel). */
  result_id?: string;
  /**
   * Columns the saved notebook does not carry in clear (the preview shows `[withheld]`): the
   * live view asks the kernel for their values.
   */
  withheld?: { column: string; source?: string }[];
}

export interface ISuggestion {
  message: string;
  rewrite?: string;
  predicted_saving_ms?: number;
  predicted_saving_bytes?: number;
  kind?: string;
  equivalent?: boolean;
  /** The share of the predicted time the rewrite saves (0..1). */
  saving_share?: number;
  /** `warning` only when the saving matters (a large share of a noticeable time). */
  severity?: 'info' | 'warning';
}

/** A low..high range: where the value falls 80% of the time. */
export interface IInterval {
  low: number;
  high: number;
}

export type JoinKind =
  | 'one_to_one'
  | 'one_to_many'
  | 'many_to_many'
  | 'cross'
  | 'inequality'
  | 'semi'
  | 'other';

/** One join of the plan as the cardinality estimate read it. */
export interface IJoinEstimate {
  kind: JoinKind;
  operator?: string;
  tables?: string[];
  keys?: string[];
  left_rows?: number;
  right_rows?: number;
  estimated_rows: number;
}

/** Set by the kernel when predicted and actual differ by more than `factor` either way. */
export interface IMisprediction {
  ratio: number;
  direction: 'slower' | 'faster';
  factor: number;
}

export interface ICost {
  predicted_ms: number | null;
  estimated_rows: number | null;
  estimated_bytes: number | null;
  actual_ms?: number | null;
  confidence: number | null;
  suggestions: ISuggestion[];
  /** Where the duration came from. */
  basis?: 'analytic' | 'model' | 'repeat' | 'none';
  interval_ms?: IInterval;
  rows_interval?: IInterval;
  actual_rows?: number | null;
  joins?: IJoinEstimate[];
  /** Absent in reports written before the kernel judged mispredictions. */
  misprediction?: IMisprediction | null;
}

export type EdgeKind =
  | 'IDENTITY'
  | 'TRANSFORMATION'
  | 'AGGREGATION'
  | 'JOIN'
  | 'GROUP_BY'
  | 'FILTER'
  | 'SORT'
  | 'WINDOW'
  | 'CONDITIONAL';

export interface ILineage {
  nodes: { id: string; label?: string; snapshot_id?: number | null }[];
  edges: { source: string; target: string; kind: EdgeKind; masked: boolean }[];
}

export interface ICompliance {
  pii_columns: { column: string; entity: string; category?: string }[];
  masked: { column: string; method: string; policy?: string }[];
  row_filters: { table: string; predicate: string; policy?: string }[];
  denied: { column: string; policy: string }[];
  warnings: string[];
}

export interface IReport {
  version: 1;
  kind: 'sql' | 'nl';
  question?: string;
  intent?: Record<string, unknown> | null;
  sql: string;
  executed_sql: string;
  statement_type?: string;
  /** What the cell did beyond its result: quarantined rows, layout suggestions. */
  notices?: string[];
  result: IResult;
  cost: ICost;
  lineage: ILineage;
  compliance: ICompliance;
  audit_id: string | null;
  timings: { total_ms: number; [stage: string]: number };
}
