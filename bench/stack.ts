/**
 * The servers a benchmark runs against: embedded PostgreSQL and the Temporal dev server (fresh, in
 * .data/bench) and the bounce lab, unless DATABASE_URL / TEMPORAL_ADDRESS name external ones.
 */
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { type Db, createDb, ensureDatabase, withDatabase } from '../db/connection';
import { startEmbeddedPostgres } from '../db/embedded';
import { migrateToLatest } from '../db/migrate';
import { type BounceLab, startBounceLab } from '../dev/bounce-lab';
import { type Child, stopChild } from '../dev/processes';
import { locateTemporalBinary } from '../dev/temporal-binaries';
import { DEFAULT_SQLITE_PRAGMAS, startDevServer } from '../dev/temporal-dev-server';
import { freePort } from '../dev/ports';
import { forkApi, forkWorker, stopProcess, waitForPoller } from '../dev/service-process';

export type Stack = {
  db: Db;
  databaseUrl: string;
  temporalAddress: string;
  /** What the numbers were measured against, for results.json. */
  temporalKind: string;
  /** The dev server's pid when we run it (its RSS is measured), else null. */
  temporalPid: number | null;
  client: Client;
  connection: Connection;
  lab: BounceLab;
  startWorkers(n: number, taskQueue: string, env?: NodeJS.ProcessEnv): Promise<ChildProcess[]>;
  /** The API in its own process, as in production: its latency is not shared with the load generator. */
  startApiProcess(): Promise<{ url: string; process: ChildProcess }>;
  stop(): Promise<void>;
};

export async function startStack(
  log: (m: string) => void,
  opts: { sqlitePragmas?: string[] } = {},
): Promise<Stack> {
  const dir = path.resolve('.data', 'bench');
  await fs.rm(dir, { recursive: true, force: true });
  await fs.mkdir(dir, { recursive: true });
  const stops: Array<() => Promise<void>> = [];

  let databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) {
    log('starting embedded PostgreSQL ...');
    const pg = await startEmbeddedPostgres({
      dataDir: path.join(dir, 'postgres'),
      port: await freePort(),
      persistent: false,
    });
    stops.unshift(() => pg.stop());
    await ensureDatabase(pg.url, 'bench');
    databaseUrl = withDatabase(pg.url, 'bench');
  }
  const db = createDb(databaseUrl, { maxConnections: 10 });
  await migrateToLatest(db);

  let temporalAddress = process.env.TEMPORAL_ADDRESS;
  let temporalPid: number | null = null;
  let temporalKind = `external (${temporalAddress})`;
  if (!temporalAddress) {
    const cli = await locateTemporalBinary('cli', { log });
    const port = await freePort();
    log('starting the Temporal dev server ...');
    const server: Child = await startDevServer({
      cliPath: cli.path,
      dataDir: dir,
      port,
      uiPort: await freePort(),
      namespace: 'default',
      sqlitePragmas: opts.sqlitePragmas,
      log: () => undefined,
    });
    stops.unshift(() => stopChild(server));
    temporalPid = server.process.pid ?? null;
    temporalAddress = `127.0.0.1:${port}`;
    temporalKind = `embedded dev server (SQLite file; pragmas ${(opts.sqlitePragmas ?? DEFAULT_SQLITE_PRAGMAS).join(', ') || 'none'})`;
  }
  const connection = await Connection.connect({ address: temporalAddress });
  stops.unshift(() => connection.close());
  const client = new Client({ connection, namespace: process.env.TEMPORAL_NAMESPACE ?? 'default' });
  const lab = await startBounceLab({ port: await freePort() });
  stops.unshift(() => lab.stop());

  const children: ChildProcess[] = []; // workers and API processes, stopped with the stack
  stops.unshift(async () => {
    await Promise.all(children.map((c) => stopProcess(c)));
  });

  return {
    db,
    databaseUrl,
    temporalAddress,
    temporalKind,
    temporalPid,
    client,
    connection,
    lab,
    async startWorkers(n, taskQueue, env = {}) {
      // Workers load a prebuilt bundle and get the heap cap, as in production.
      const started = await Promise.all(
        Array.from({ length: n }, () =>
          forkWorker({
            DATABASE_URL: databaseUrl,
            TEMPORAL_ADDRESS: temporalAddress,
            TEMPORAL_TASK_QUEUE: taskQueue,
            SMTP_URL: lab.url,
            // The table is the output: the workers' state changes would bury it.
            LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
            ...env,
          }),
        ),
      );
      children.push(...started);
      await waitForPoller(client, taskQueue, n);
      return started;
    },
    async startApiProcess() {
      const api = await forkApi({
        DATABASE_URL: databaseUrl,
        TEMPORAL_ADDRESS: temporalAddress,
        // The statistics scenario fires ~11,000 requests a second with one key from 127.0.0.1, far
        // over the production rate limits: it measures the API, not them (their check stays in the path).
        RATE_LIMIT_KEY_PER_SECOND: '1000000',
        RATE_LIMIT_KEY_BURST: '1000000',
        RATE_LIMIT_CLIENT_PER_SECOND: '1000000',
        RATE_LIMIT_CLIENT_BURST: '1000000',
      });
      children.push(api.process);
      return api;
    },
    async stop() {
      for (const stop of stops) await stop().catch((err: unknown) => log(String(err)));
      await db.destroy();
    },
  };
}
