/**
 * Client of the server extension's REST API under `/neurolake/api/` (openapi.yaml).
 *
 * Requests go through JupyterLab's `ServerConnection`, which adds the auth token and the XSRF
 * header; an answer other than 2xx becomes an `ApiError` carrying the server's reason.
 */

import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

export interface IPage<T> {
  items: T[];
  total: number;
  offset: number;
  limit: number;
}

export interface ITableSummary {
  id: string;
  namespace: string;
  name: string;
  description: string;
  columns: number;
  rows: number | null;
  pii_columns: number;
  snapshot_id: number | string | null;
}

export interface IColumnInfo {
  name: string;
  type: string;
  description: string;
  pii: string | null;
  pii_source: string | null;
}

export interface ITableDetail {
  id: string;
  namespace: string;
  name: string;
  description: string;
  rows: number | null;
  snapshot_id: number | string | null;
  last_commit: {
    snapshot_id: number | string | null;
    committed_at: string | null;
    user: string | null;
  } | null;
  primary_key: string[];
  columns: IColumnInfo[];
}

export interface ISnapshot {
  snapshot_id: number | string | null;
  committed_at: string | null;
  operation: string | null;
  rows_added: number | null;
  rows_removed: number | null;
  total_rows: number | null;
  user: string | null;
  current: boolean;
  query: string;
}

export interface ITableLineage {
  table: string;
  direction: 'upstream' | 'downstream';
  tables: string[];
  links: { source: string; target: string }[];
  edges: { source: string; target: string; kind: string; masked: boolean }[];
}

export interface ISearchHit {
  kind: 'table' | 'column';
  id: string;
  table: string;
  column: string | null;
  description: string;
  type: string | null;
  pii: string | null;
  score: number;
}

export type Decision = 'allowed' | 'masked' | 'filtered' | 'denied' | 'error';

export interface IAuditRecord {
  seq: number;
  id: string;
  time: string;
  user: string;
  kind: string;
  decision: Decision;
  sql: string | null;
  tables: string[];
  masked: (string | null)[];
  error: string | null;
}

export interface IVerify {
  ok: boolean;
  records: number;
  first_bad: number | null;
  reason: string | null;
  incomplete_tail: boolean;
}

export interface IPolicies {
  path: string;
  exists: boolean;
  text: string | null;
  version: string;
  source: 'file' | 'default' | 'fail-closed';
  mode: string;
  owner: string | null;
  errors: { message: string; hint?: string | null }[];
  rules: number;
  row_filters: number;
}

export interface IPiiColumn {
  column: string;
  entity: string | null;
  entities: string[];
  confidence: number;
  category: string | null;
  free_text: boolean;
  /** Detected by the classifier, carried by a write from the PII columns it copied, or set by a user. */
  source: 'detected' | 'carried' | 'override';
  /** For a carried tag: the `ns.table.column` names it was copied from. */
  origin?: string[];
}

export interface IStatus {
  version: string;
  workspace: string;
  user: string;
}

/** A non-2xx answer: the HTTP status and the server's reason. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string
  ) {
    super(reason);
  }
}

/** What the client needs of `ServerConnection` (tests pass a fake fetch through settings). */
export type Fetcher = (
  url: string,
  init: RequestInit,
  settings: ServerConnection.ISettings
) => Promise<Response>;

type Query = Record<string, string | number | undefined | null>;

export class NeuroLakeApi {
  constructor(
    private readonly settings: ServerConnection.ISettings = ServerConnection.makeSettings(),
    private readonly fetcher: Fetcher = ServerConnection.makeRequest
  ) {}

  /** The full URL of `path` (relative to `/neurolake/`) with the query's defined values. */
  url(path: string, query: Query = {}): string {
    const params = Object.entries(query)
      .filter(([, v]) => v !== undefined && v !== null && v !== '')
      .map(
        ([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`
      );
    const base = URLExt.join(this.settings.baseUrl, 'neurolake', path);
    return params.length ? `${base}?${params.join('&')}` : base;
  }

  async request<T>(
    path: string,
    query: Query = {},
    init: RequestInit = {}
  ): Promise<T> {
    const response = await this.fetcher(
      this.url(path, query),
      init,
      this.settings
    );
    const text = await response.text();
    let body: unknown = null;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      body = text;
    }
    if (!response.ok) {
      const reason =
        body && typeof body === 'object' && 'reason' in body
          ? String((body as { reason: unknown }).reason ?? '')
          : '';
      throw new ApiError(
        response.status,
        reason || `${response.status} ${response.statusText}`
      );
    }
    return body as T;
  }

  status(): Promise<IStatus> {
    return this.request('status');
  }

  namespaces(): Promise<IPage<{ name: string; tables: number }>> {
    return this.request('api/namespaces', { limit: 500 });
  }

  tables(
    namespace?: string,
    offset = 0,
    limit = 200
  ): Promise<IPage<ITableSummary>> {
    return this.request('api/tables', { namespace, offset, limit });
  }

  table(id: string): Promise<ITableDetail> {
    return this.request(`api/tables/${encodeURIComponent(id)}`);
  }

  snapshots(id: string, offset = 0, limit = 20): Promise<IPage<ISnapshot>> {
    return this.request(`api/tables/${encodeURIComponent(id)}/snapshots`, {
      offset,
      limit
    });
  }

  lineage(
    id: string,
    direction: 'upstream' | 'downstream'
  ): Promise<ITableLineage> {
    return this.request(`api/tables/${encodeURIComponent(id)}/lineage`, {
      direction
    });
  }

  search(
    q: string,
    limit = 20
  ): Promise<{ query: string; items: ISearchHit[] }> {
    return this.request('api/search', { q, limit });
  }

  audit(
    filters: { user?: string; table?: string; decision?: string } = {},
    offset = 0,
    limit = 50
  ): Promise<IPage<IAuditRecord>> {
    return this.request('api/audit', { ...filters, offset, limit });
  }

  verify(): Promise<IVerify> {
    return this.request('api/audit/verify', {}, { method: 'POST', body: '{}' });
  }

  policies(): Promise<IPolicies> {
    return this.request('api/policies');
  }

  pii(id: string): Promise<{ table: string; columns: IPiiColumn[] }> {
    return this.request(`api/tables/${encodeURIComponent(id)}/pii`);
  }

  setPii(
    id: string,
    column: string,
    entity: string | null
  ): Promise<{ column: string; entity: string | null; source: string }> {
    return this.request(
      `api/tables/${encodeURIComponent(id)}/pii/${encodeURIComponent(column)}`,
      {},
      { method: 'PUT', body: JSON.stringify({ entity }) }
    );
  }
}
