/**
 * Drill: PostgreSQL is stopped for 30 s in the middle of a mailing and started again on the same
 * data. Recording retries until the database is back; nothing is lost or recorded twice; meanwhile
 * the API says 503 (on /health and on reads) and recovers by itself. Real time, on the dev server.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { countersOfMailing as mailingCounters } from '../../db/counters';
import { startApi, type RunningApi } from '../../api/server';
import { startMailing } from '../../contract/starters';
import { createAccount } from '../../db/accounts';
import { createDb, type Db, ensureDatabase, withDatabase } from '../../db/connection';
import { migrateToLatest } from '../../db/migrate';
import { type BounceLab, startBounceLab } from '../../dev/bounce-lab';
import {
  type DevTemporal,
  drillSize,
  expectMailingEndedOnce,
  reportDrill,
  scaleMix,
  startDevTemporal,
  startDrillWorker,
} from '../support/drill';
import { freePort } from '../../dev/ports';
import { startPostgresProcess } from '../../dev/postgres-process';
import { mixTotal, seedMailing } from '../../dev/seed';
import { until } from '../../dev/until';

const DOWN_MS = 30_000;
// Outcomes that need no timer: the mailing ends in real time.
const MIX = scaleMix({ 'ok.test': 14, 'unknown.test': 3, 'full.test': 3 }, drillSize(60));
const TOTAL = mixTotal(MIX);

jest.setTimeout(300_000 + TOTAL * 100);

let dataDir: string;
let port: number;
let postgres: Awaited<ReturnType<typeof startPostgresProcess>> | undefined;
let db: Db;
let lab: BounceLab;
let temporal: DevTemporal;
beforeAll(async () => {
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'drill-pg-'));
  port = await freePort();
  postgres = await startPostgresProcess(path.join(dataDir, 'data'), port);
  await ensureDatabase(postgres.url, 'drill');
  db = createDb(withDatabase(postgres.url, 'drill'));
  await migrateToLatest(db);
  [lab, temporal] = await Promise.all([startBounceLab(), startDevTemporal()]);
});
afterAll(async () => {
  await db?.destroy();
  await Promise.allSettled([postgres?.stop(), lab?.stop(), temporal?.dispose()]);
  await fs.rm(dataDir, { recursive: true, force: true });
});

test('a database down for 30 s mid-mailing loses nothing, and the API says 503 then recovers by itself', async () => {
  const { id: accountId, key } = await createAccount(db, 'drill');
  const { groupId, mailingId } = await seedMailing(db, accountId, MIX, { status: 'sending' });

  const taskQueue = 'drill-database';
  const worker = await startDrillWorker({
    address: temporal.address,
    databaseUrl: withDatabase(postgres!.url, 'drill'),
    labUrl: lab.url,
    taskQueue,
  });
  let api: RunningApi | undefined;
  try {
    api = await startApi({ db, temporal: worker.connection, taskQueue, checkResponses: true }, 0);
    const get = async (p: string, auth = true) => {
      const res = await fetch(`${api!.url}${p}`, {
        headers: auth ? { authorization: `Bearer ${key}` } : {},
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    expect((await get('/health', false)).status).toBe(200);

    await startMailing(worker.client, { mailingId, batchSize: 10 }, { taskQueue });
    // Stopped once the mailing is well under way: some deliveries ended, the others in flight.
    await until(async () => (await mailingCounters(db, mailingId)).ended >= TOTAL / 4, 'a quarter ended', {
      timeoutMs: 60_000 + TOTAL * 100,
    });
    const atStop = await mailingCounters(db, mailingId);
    await postgres!.stop();
    postgres = undefined;
    const downSince = Date.now();

    // While it is away: 503 on /health naming the database, and 503 (not 500) on reads.
    const health = await get('/health', false);
    expect(health).toEqual({
      status: 503,
      body: expect.objectContaining({ database: 'down', temporal: 'ok' }) as unknown,
    });
    // The key is still cached (10 s): the read itself meets the outage.
    const read = await get(`/v1/mailings/${mailingId}`);
    expect(read.status).toBe(503);
    expect(read.body).toMatchObject({ error: { code: 'unavailable' } });

    await new Promise((r) => setTimeout(r, Math.max(0, DOWN_MS - (Date.now() - downSince))));
    postgres = await startPostgresProcess(path.join(dataDir, 'data'), port);
    const upAt = Date.now();

    // The same API process, untouched, is healthy again.
    await until(async () => (await get('/health', false)).status === 200, 'the API healthy again', {
      timeoutMs: 30_000,
    });
    const healthyAfterMs = Date.now() - upAt;

    await until(
      async () =>
        (await db.selectFrom('mailings').select('status').where('id', '=', mailingId).executeTakeFirst())
          ?.status === 'done',
      'the mailing done',
      { timeoutMs: 180_000 + TOTAL * 100 },
    );

    // Each accepted address got its message, once: an outage of the database never resends.
    const duplicates = await expectMailingEndedOnce(db, lab, { mailingId, groupId, mix: MIX });
    expect(duplicates).toBe(0);

    reportDrill('database down 30 s', {
      deliveries: TOTAL,
      endedWhenStopped: atStop.ended,
      duplicates,
      healthyAfterMs,
    });
  } finally {
    await api?.stop();
    await worker.stop();
  }
});
