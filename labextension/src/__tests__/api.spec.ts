/** The REST client: URLs, parameters, errors with the server's reason, methods. */

import { ServerConnection } from '@jupyterlab/services';

import { ApiError, NeuroLakeApi } from '../api/client';

function fake(status: number, body: unknown) {
  const calls: { url: string; init: RequestInit }[] = [];
  const fetcher = async (url: string, init: RequestInit) => {
    calls.push({ url, init });
    const text = JSON.stringify(body);
    return {
      ok: status < 300,
      status,
      statusText: 'x',
      text: async () => text
    } as Response;
  };
  const settings = { baseUrl: 'http://h/base/' } as ServerConnection.ISettings;
  return { api: new NeuroLakeApi(settings, fetcher), calls };
}

describe('NeuroLakeApi', () => {
  it('builds URLs under /neurolake/ with the defined parameters, encoded', async () => {
    const { api, calls } = fake(200, {
      items: [],
      total: 0,
      offset: 0,
      limit: 25
    });
    await api.audit(
      { user: 'ann b', table: undefined, decision: 'masked' },
      25,
      25
    );
    expect(calls[0].url).toBe(
      'http://h/base/neurolake/api/audit?user=ann%20b&decision=masked&offset=25&limit=25'
    );
    await api.snapshots('retail.orders', 0, 10);
    expect(calls[1].url).toBe(
      'http://h/base/neurolake/api/tables/retail.orders/snapshots?offset=0&limit=10'
    );
  });

  it('raises the server reason of a 400', async () => {
    const { api } = fake(400, {
      message: 'Bad Request',
      reason: "parameter 'limit' must be between 1 and 500, not 0"
    });
    await expect(api.tables(undefined, 0, 0)).rejects.toEqual(
      new ApiError(400, "parameter 'limit' must be between 1 and 500, not 0")
    );
  });

  it('POSTs verify and PUTs a PII override as JSON', async () => {
    const { api, calls } = fake(200, { ok: true });
    await api.verify();
    expect(calls[0].init.method).toBe('POST');
    await api.setPii('retail.customers', 'segment', null);
    expect(calls[1].init.method).toBe('PUT');
    expect(calls[1].url).toBe(
      'http://h/base/neurolake/api/tables/retail.customers/pii/segment'
    );
    expect(JSON.parse(String(calls[1].init.body))).toEqual({ entity: null });
  });
});
