/** GET /health over HTTP, against a real database and a real Temporal server. */
import { Connection } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { type RunningApi, startApi } from '../api/server';
import { createTestDatabase, type TestDatabase } from './support/database';
import { freePort } from '../dev/ports';
import { createTimeSkippingEnv } from './support/temporal';

let env: TestWorkflowEnvironment;
let t: TestDatabase;
beforeAll(async () => {
  [env, t] = await Promise.all([createTimeSkippingEnv(), createTestDatabase()]);
});
afterAll(async () => {
  await Promise.allSettled([env?.teardown(), t?.drop()]);
});

async function health(api: RunningApi) {
  const res = await fetch(`${api.url}/health`);
  return { status: res.status, body: await res.json() };
}

describe('GET /health', () => {
  it('when Temporal and the database answer, then 200 with both ok', async () => {
    const api = await startApi({ db: t.db, temporal: env.connection, checkResponses: true }, 0);
    try {
      expect(await health(api)).toEqual({
        status: 200,
        body: { status: 'ok', temporal: 'ok', database: 'ok' },
      });
    } finally {
      await api.stop();
    }
  });

  it('when Temporal is unreachable, then 503 naming it', async () => {
    const temporal = Connection.lazy({ address: `127.0.0.1:${await freePort()}` });
    const api = await startApi({ db: t.db, temporal, checkResponses: true }, 0);
    try {
      expect(await health(api)).toEqual({
        status: 503,
        body: { status: 'unavailable', temporal: 'down', database: 'ok' },
      });
    } finally {
      await api.stop();
      await temporal.close();
    }
  });

  it('when an unknown route is asked, then 404 in the error shape of the contract', async () => {
    const api = await startApi({ db: t.db, temporal: env.connection, checkResponses: true }, 0);
    try {
      const res = await fetch(`${api.url}/nope`);
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual({
        error: { code: 'not_found', message: 'No route GET /nope.', details: [] },
      });
    } finally {
      await api.stop();
    }
  });
});
