/**
 * The servers a benchmark runs against: embedded PostgreSQL and the Temporal dev server (fresh, in
 * .data/bench) and the bounce lab, unless DATABASE_URL / TEMPORAL_ADDRESS (and TEMPORAL_NAMESPACE)
 * name external ones. Servers on this machine are found by their listening port, so that each
 * one's CPU is its own processes' only.
 */
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { sql } from 'kysely';
import { type Db, createDb, ensureDatabase, withDatabase } from '../db/connection';
import { startEmbeddedPostgres } from '../db/embedded';
import { migrateToLatest } from '../db/migrate';
import { type BounceLab, startBounceLab } from '../dev/bounce-lab';
import { type Child, stopChild } from '../dev/processes';
import { locateTemporalBinary } from '../dev/temporal-binaries';
import { DEFAULT_SQLITE_PRAGMAS, startDevServer } from '../dev/temporal-dev-server';
import { freePort } from '../dev/ports';
import { forkApi, forkWorker, stopProcess, waitForPoller } from '../dev/service-process';
import { localPort, pidListeningOn, withDescendants } from './measure';
import { loadConfig } from '../runtime/config';
import { isTemporalTlsSetting, temporalConnectionOptions } from '../runtime/temporal-connection';

export type Stack = {
  db: Db;
  databaseUrl: string;
  temporalAddress: string;
  namespace: string;
  /** What the numbers were measured against, for results.json. */
  temporalKind: string;
  /** The dev server's pid when we run it (its RSS is measured), else null. */
  temporalPid: number | null;
  client: Client;
  connection: Connection;
  lab: BounceLab;
  /**
   * The processes of each server part, looked up when called (PostgreSQL forks a backend per
   * connection): Temporal, Temporal's own database (external servers only, `--temporal-db-port`),
   * and the application's PostgreSQL. Empty where the server is on another machine.
   */
  serverPids: {
    temporal: () => number[];
    temporalDatabase: () => number[];
    postgres: () => number[];
  };
  startWorkers(n: number, taskQueue: string, env?: NodeJS.ProcessEnv): Promise<ChildProcess[]>;
  /** The API in its own process, as in production: its latency is not shared with the load generator. */
  startApiProcess(taskQueue?: string): Promise<{ url: string; process: ChildProcess }>;
  stop(): Promise<void>;
};

export async function startStack(
  log: (m: string) => void,
  opts: { sqlitePragmas?: string[]; temporalDatabasePort?: number } = {},
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
    // Its own dev server speaks plain gRPC: TLS settings in the shell are for another server, and
    // every process forked below (workers, API, floor worker) inherits this environment.
    for (const k of Object.keys(process.env)) if (isTemporalTlsSetting(k)) delete process.env[k];
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
  const namespace = process.env.TEMPORAL_NAMESPACE ?? 'default';
  const connection = await Connection.connect(
    temporalPid === null ? temporalConnectionOptions(loadConfig()) : { address: temporalAddress },
  );
  stops.unshift(() => connection.close());
  const client = new Client({ connection, namespace });
  if (temporalPid === null) {
    // An external Temporal keeps the workflows of earlier runs, while a fresh database numbers its
    // mailings from 1 again: `mailing-1` would be found running or done, and nothing started.
    // Mailing ids from now on start at this moment's milliseconds, past every earlier run's.
    await sql`select setval(pg_get_serial_sequence('mailings', 'id'),
                            greatest((select coalesce(max(id), 0) from mailings), ${Date.now()}))`.execute(
      db,
    );
  }
  const byPort = (port: number | null) => () => withDescendants(port === null ? null : pidListeningOn(port));
  const serverPids = {
    temporal: temporalPid !== null ? () => withDescendants(temporalPid) : byPort(localPort(temporalAddress)),
    temporalDatabase: byPort(opts.temporalDatabasePort ?? null),
    postgres: byPort(localPort(databaseUrl)),
  };
  if (temporalPid === null) {
    const found = serverPids.temporal().length > 0;
    temporalKind = `external (${temporalAddress}, namespace ${namespace}${found ? '' : '; not on this machine: no CPU figures'})`;
  }
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
    namespace,
    temporalKind,
    temporalPid,
    serverPids,
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
            TEMPORAL_NAMESPACE: namespace,
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
    async startApiProcess(taskQueue) {
      const api = await forkApi({
        DATABASE_URL: databaseUrl,
        TEMPORAL_ADDRESS: temporalAddress,
        TEMPORAL_NAMESPACE: namespace,
        ...(taskQueue && { TEMPORAL_TASK_QUEUE: taskQueue }),
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
