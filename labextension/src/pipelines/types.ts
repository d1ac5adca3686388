/**
 * What the designer reads from the server: `/neurolake/api/pipelines...` (see the server's
 * `openapi.yaml`, whose schemas these mirror).
 */

/** How a pipeline's last run went: the node's colour. */
export type Health = 'ok' | 'warning' | 'failing' | 'paused' | 'new';

export type Mode = 'append' | 'overwrite' | 'merge';

export interface IPipelineSummary {
  name: string;
  target: string;
  mode: Mode;
  key: string[];
  schedule: string | null;
  status: 'active' | 'paused';
  owner: string;
  sources: string[];
  version: number;
  health: Health;
  last_run: string | null;
  last_status: string | null;
  last_rows: number | string | null;
  next_run: string | null;
  paused_reason: string | null;
}

export interface IGraphNode {
  id: string;
  kind: 'table' | 'pipeline';
  label: string;
  health?: Health;
  role?: 'source' | 'target' | 'both';
  mode?: string;
  schedule?: string | null;
}

export interface IGraphEdge {
  source: string;
  target: string;
}

export interface IPipelineGraph {
  nodes: IGraphNode[];
  edges: IGraphEdge[];
}

export interface IOverview {
  items: IPipelineSummary[];
  graph: IPipelineGraph;
}

export interface IAction {
  kind: string;
  detail: string;
  ok: boolean;
  old_sql: string | null;
  new_sql: string | null;
  at: string | number | null;
}

export interface IIncident {
  id: string;
  pipeline: string;
  check: string;
  detail: string;
  cause: string | null;
  run_id: string | null;
  status: 'open' | 'fixed' | 'alerted';
  actions: IAction[];
  at: string | null;
}

export interface IRun {
  run_id: string;
  trigger: string;
  status: string;
  start: string | null;
  end: string | null;
  rows_written: number | null;
  rows_quarantined: number;
  snapshot_id: number | string | null;
  sql_version: number;
  error: string | null;
  incidents: IIncident[];
  fixes: IAction[];
}

export interface IPipelineDetail {
  pipeline: {
    name: string;
    sql: string;
    target: string;
    mode: Mode;
    key: string[];
    schedule: string | null;
    owner: string;
    status: string;
    sources: string[];
    question?: string | null;
    version: number;
    paused_reason?: string | null;
    health: Health;
  };
  history: IRun[];
  versions: {
    version: number;
    sql: string;
    author: string;
    reason: string;
    at: string | null;
  }[];
}
