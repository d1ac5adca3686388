/** Calls to the server extension's pipeline endpoints, with Jupyter's auth and XSRF. */

import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import { IOverview, IPipelineDetail } from './types';

/** An answer other than 2xx: the server's `reason`, ready to show. */
export class ApiError extends Error {}

export class PipelineApi {
  constructor(
    private settings: ServerConnection.ISettings = ServerConnection.makeSettings()
  ) {}

  private async call<T>(path: string, init: RequestInit = {}): Promise<T> {
    const url = URLExt.join(this.settings.baseUrl, 'neurolake', path);
    const response = await ServerConnection.makeRequest(
      url,
      init,
      this.settings
    );
    const text = await response.text();
    const body = text ? JSON.parse(text) : null;
    if (!response.ok) {
      throw new ApiError(body?.reason ?? body?.message ?? response.statusText);
    }
    return body as T;
  }

  /** Every pipeline and the graph of tables and pipelines. */
  overview(): Promise<IOverview> {
    return this.call<IOverview>('api/pipelines');
  }

  /** One pipeline: definition, runs, incidents and fixes, SQL versions. */
  detail(name: string): Promise<IPipelineDetail> {
    return this.call<IPipelineDetail>(
      `api/pipelines/${encodeURIComponent(name)}`
    );
  }

  /** Run, pause or resume, as the signed-in user. */
  act(
    name: string,
    action: 'run' | 'pause' | 'resume'
  ): Promise<Record<string, unknown>> {
    return this.call(`api/pipelines/${encodeURIComponent(name)}/${action}`, {
      method: 'POST',
      body: '{}'
    });
  }

  /** The Iceberg tables, to pick sources from. */
  async tables(): Promise<string[]> {
    const page = await this.call<{ items: { id: string }[] }>(
      'api/tables?limit=500'
    );
    return page.items.map(t => t.id);
  }

  /** SQL for a question (the planner or the configured LLM); nothing runs. */
  sqlFor(question: string): Promise<{ sql: string; notes: string[] }> {
    return this.call('api/pipeline-sql', {
      method: 'POST',
      body: JSON.stringify({ question })
    });
  }
}
