/**
 * What the drills share: their size (small in `npm test`, DRILL_SIZE under `npm run drill`), the
 * scaling of a domain mix to that size, the report line each drill leaves for `npm run drill`, and
 * a real Temporal dev server and worker that a drill can take down.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { type Child, stopChild } from '../../dev/processes';
import { startDevServer } from '../../dev/temporal-dev-server';
import { freePort } from '../../dev/ports';
import { countersOfMailing as mailingCounters } from '../../db/counters';
import type { Db } from '../../db/connection';
import { type BounceLab, startBounceLab } from '../../dev/bounce-lab';
import { createTestDatabase, type TestDatabase } from './database';
import { type Mix, mixEmails, mixTotal } from '../../dev/seed';
import { forkWorker, stopProcess, waitForPoller } from '../../dev/service-process';

/** `npm test` runs a drill at `ciSize`; `npm run drill` at DRILL_SIZE (10,000 by default). */
export function drillSize(ciSize: number): number {
  const size = Number(process.env.DRILL_SIZE);
  return Number.isInteger(size) && size > 0 ? size : ciSize;
}

/** `mix` scaled to `total` addresses, each domain keeping at least one. */
export function scaleMix(mix: Mix, total: number): Mix {
  const weight = Object.values(mix).reduce((a, b) => a + b, 0);
  const scaled = Object.fromEntries(
    Object.entries(mix).map(([d, n]) => [d, Math.max(1, Math.floor((n * total) / weight))]),
  );
  const [first] = Object.keys(scaled);
  scaled[first!]! += total - Object.values(scaled).reduce((a, b) => a + b, 0);
  return scaled;
}

/** One line of the drill report: printed, and kept in DRILL_REPORT for `npm run drill`'s summary. */
export function reportDrill(drill: string, counts: Record<string, number | string>): void {
  const line = { drill, ...counts };
  console.log(`[drill] ${JSON.stringify(line)}`);
  if (process.env.DRILL_REPORT) fs.appendFileSync(process.env.DRILL_REPORT, `${JSON.stringify(line)}\n`);
}

/**
 * Retry bounds of drill deliveries: real time, so seconds where production has hours. The window
 * outlasts a killed worker's sends, which Temporal retries only after their 30 s heartbeat timeout:
 * a delivery retried across the kill must still reach its third attempt (flaky.test).
 */
export const DRILL_RETRY = {
  minDelayMs: 3_000,
  maxDelayMs: 4_000,
  greylistMinDelayMs: 1_000,
  greylistMaxDelayMs: 2_000,
  windowMs: 60_000,
};

/**
 * The servers of a drill, started before its tests and stopped after them: a test database, the
 * bounce lab and a dev server of its own. The returned object is filled in by `beforeAll`.
 */
export function useDrillServers() {
  const servers = {} as { t: TestDatabase; lab: BounceLab; temporal: DevTemporal };
  beforeAll(async () => {
    [servers.t, servers.lab, servers.temporal] = await Promise.all([
      createTestDatabase(),
      startBounceLab(),
      startDevTemporal(),
    ]);
  });
  afterAll(async () => {
    await Promise.allSettled([servers.temporal?.dispose(), servers.lab?.stop(), servers.t?.drop()]);
  });
  return servers;
}

/**
 * What every mailing drill must find at the end: each delivery ended exactly once with the outcome
 * of its lab domain, the counters equal to the rows, hard bounces removed exactly their contacts
 * from the group, every accepting address reached. Returns the duplicates the lab saw.
 */
export async function expectMailingEndedOnce(
  db: Db,
  lab: BounceLab,
  m: { mailingId: string; groupId: string; mix: Mix },
): Promise<number> {
  const total = mixTotal(m.mix);
  const emails = mixEmails(m.mix);
  const of = (...domains: string[]) => domains.reduce((sum, d) => sum + (m.mix[d] ?? 0), 0);
  const rows = await db
    .selectFrom('deliveries')
    .select(['email', 'status'])
    .where('mailing_id', '=', m.mailingId)
    .execute();
  expect(rows).toHaveLength(total);
  expect(new Set(rows.map((r) => r.email)).size).toBe(total);
  expect(rows.filter((r) => r.status === 'in_progress')).toEqual([]);
  const count = (status: string) => rows.filter((r) => r.status === status).length;
  const c = await mailingCounters(db, m.mailingId);
  expect(c).toMatchObject({
    total,
    ended: total,
    delivered: count('delivered'),
    incorrectAddresses: count('incorrect_address'),
    technicalProblems: count('technical_problem'),
    retrying: 0,
  });
  expect(c.delivered).toBe(of('ok.test', 'grey.test', 'flaky.test'));
  expect(c.incorrectAddresses).toBe(of('unknown.test'));

  const incorrect = await db
    .selectFrom('contacts')
    .select('email')
    .where('status', '=', 'incorrect')
    .execute();
  expect(incorrect.map((r) => r.email).sort()).toEqual(
    emails.filter((e) => e.endsWith('@unknown.test')).sort(),
  );
  const members = await db
    .selectFrom('group_members')
    .select('contact_id')
    .where('group_id', '=', m.groupId)
    .execute();
  expect(members).toHaveLength(total - of('unknown.test'));

  const accepting = emails.filter((e) => /@(ok|grey|flaky)\.test$/.test(e));
  for (const e of accepting) expect(lab.received(e)).toBeGreaterThanOrEqual(1);
  return accepting.reduce((sum, e) => sum + Math.max(0, lab.received(e) - 1), 0);
}

export type DevTemporal = Awaited<ReturnType<typeof startDevTemporal>>;

/** A Temporal dev server on a SQLite file of its own, which a drill can stop and start again. */
export async function startDevTemporal() {
  const dataDir = await fsp.mkdtemp(path.join(os.tmpdir(), 'drill-temporal-'));
  let [port, uiPort] = [0, 0];
  let server: Child | undefined;
  const start = async () => {
    server = await startDevServer({
      cliPath: process.env.TEMPORAL_CLI_PATH!,
      dataDir,
      port,
      uiPort,
      namespace: 'default',
      log: () => undefined,
    });
  };
  const stop = async () => {
    if (server) await stopChild(server);
    server = undefined;
  };
  // A port found free can be taken by another process of a busy machine before the server binds it
  // (it then exits at once): the first start tries other ports, a restart keeps them.
  for (let attempt = 1; ; attempt++) {
    [port, uiPort] = [await freePort(), await freePort()];
    try {
      await start();
      break;
    } catch (err) {
      if (attempt >= 3) throw err;
    }
  }
  return {
    address: `127.0.0.1:${port}`,
    start,
    stop,
    async dispose() {
      await stop();
      await fsp.rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** A worker process (production's entry point) on a real server, and a client to start workflows. */
export async function startDrillWorker(opts: {
  address: string;
  databaseUrl: string;
  labUrl: string;
  taskQueue: string;
  env?: NodeJS.ProcessEnv;
}) {
  const connection = await Connection.connect({ address: opts.address });
  const client = new Client({ connection });
  const worker = await forkWorker({
    DATABASE_URL: opts.databaseUrl,
    TEMPORAL_ADDRESS: opts.address,
    TEMPORAL_TASK_QUEUE: opts.taskQueue,
    SMTP_URL: opts.labUrl,
    SMTP_TIMEOUT_MS: '2000',
    // The drills provoke failures on purpose: the retries the worker logs as warnings are expected.
    LOG_LEVEL: process.env.DRILL_LOG_LEVEL ?? 'error',
    ...opts.env,
  });
  await waitForPoller(client, opts.taskQueue);
  return {
    client,
    connection,
    process: worker,
    async stop() {
      await stopProcess(worker);
      await connection.close();
    },
  };
}
