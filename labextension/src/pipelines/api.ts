/** The designer's calls to the server extension (through the shared `NeuroLakeApi` client). */

import { NeuroLakeApi } from '../api/client';
import { IOverview, IPipelineDetail } from './types';

export class PipelineApi {
  constructor(private readonly api: NeuroLakeApi = new NeuroLakeApi()) {}

  /** Every pipeline and the graph of tables and pipelines. */
  overview(): Promise<IOverview> {
    return this.api.request<IOverview>('api/pipelines');
  }

  /** One pipeline: definition, runs, incidents and fixes, SQL versions. */
  detail(name: string): Promise<IPipelineDetail> {
    return this.api.request<IPipelineDetail>(
      `api/pipelines/${encodeURIComponent(name)}`
    );
  }

  /** Run, pause or resume, as the signed-in user. */
  act(
    name: string,
    action: 'run' | 'pause' | 'resume'
  ): Promise<Record<string, unknown>> {
    return this.api.request(
      `api/pipelines/${encodeURIComponent(name)}/${action}`,
      {},
      { method: 'POST', body: '{}' }
    );
  }

  /** The Iceberg tables, to pick sources from. */
  async tables(): Promise<string[]> {
    const page = await this.api.tables(undefined, 0, 500);
    return page.items.map(t => t.id);
  }

  /** SQL for a question (the planner or the configured LLM); nothing runs. */
  sqlFor(question: string): Promise<{ sql: string; notes: string[] }> {
    return this.api.request(
      'api/pipeline-sql',
      {},
      { method: 'POST', body: JSON.stringify({ question }) }
    );
  }
}
