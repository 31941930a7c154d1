/** The measured scenarios of `npm run bench`; each returns one row of results.json. */
import { once } from 'node:events';
import net from 'node:net';
import autocannon from 'autocannon';
import { sql } from 'kysely';
import nodemailer from 'nodemailer';
import { countersOfMailing as mailingCounters } from '../db/counters';
import { startApi } from '../api/server';
import { createAccount } from '../db/accounts';
import { seedMailing } from '../dev/seed';
import { until } from '../dev/until';
import { cpuMsPer } from './floor/run';
import { cpuProfile, peakRss, median, round, rssMb } from './measure';
import { stopProcess } from '../dev/service-process';
import type { Stack } from './stack';

/**
 * A fresh account with a key, and a draft mailing to `size` contacts of `domain`. A sending domain is
 * verified by one account at a time: the seeded one passes from the last scenario's account to this
 * one (the earlier accounts' messages are done, and would still be signed).
 */
async function seedBenchMailing(stack: Stack, size: number, domain: string) {
  const { id: accountId, key } = await createAccount(stack.db, `bench-${Date.now()}-${Math.random()}`);
  const { mailingId } = await seedMailing(stack.db, accountId, { [domain]: size });
  await sql`
    with m as (select split_part(from_email, '@', 2) as domain from mailings where id = ${mailingId}),
         others as (
           update sending_domains set verified_at = null
            where domain = (select domain from m) and account_id <> ${accountId} and verified_at is not null
           returning 1)
    select count(*) from others`.execute(stack.db);
  await sql`
    update sending_domains set verified_at = coalesce(verified_at, now())
     where account_id = ${accountId}
       and domain = (select split_part(from_email, '@', 2) from mailings where id = ${mailingId})`.execute(
    stack.db,
  );
  return { accountId, key, mailingId };
}

type Counters = Awaited<ReturnType<typeof mailingCounters>>;

/**
 * Sends the mailing over HTTP and polls its counters until `done`, logging `progress` every 10 s.
 * Returns the seconds from the send call to done.
 */
async function sendAndWatch(
  stack: Stack,
  apiUrl: string,
  key: string,
  mailingId: string,
  watch: {
    what: string;
    log(m: string): void;
    done(c: Counters): boolean;
    progress(c: Counters, m: { deliveries_started: number }): string;
  },
): Promise<number> {
  const started = performance.now();
  const res = await fetch(`${apiUrl}/v1/mailings/${mailingId}/send`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}` },
  });
  if (res.status !== 202) throw new Error(`send → ${res.status} ${await res.text()}`);
  let lastReport = started;
  let lastProgress = '';
  let lastMoved = started;
  await until(
    async () => {
      const c = await mailingCounters(stack.db, mailingId);
      if (performance.now() - lastReport > 10_000) {
        lastReport = performance.now();
        const m = await stack.db
          .selectFrom('mailings')
          .select('deliveries_started')
          .where('id', '=', mailingId)
          .executeTakeFirstOrThrow();
        const progress = watch.progress(c, m);
        watch.log(`  ${progress} after ${round((lastReport - started) / 1000)} s`);
        if (progress !== lastProgress) [lastProgress, lastMoved] = [progress, lastReport];
        // Nor a stall later on: deliveries whose activities fail and retry forever (a worker
        // misconfigured, a server gone) end nothing. Their pending activities say why.
        if (lastReport - lastMoved > 180_000)
          throw new Error(
            `mailing ${mailingId}: no progress for 180 s (${progress}); ` +
              `see a delivery's pending activity: npm run temporal -- workflow describe -w delivery-${mailingId}-<contactId>`,
          );
        // Never a silent stall: a fan-out that has started nothing after two minutes is not coming.
        if (m.deliveries_started === 0 && lastReport - started > 120_000)
          throw new Error(
            `mailing ${mailingId}: no delivery started within 120 s of the send; is a worker polling ` +
              `its task queue in namespace ${stack.namespace}, and is workflow mailing-${mailingId} not an earlier run's?`,
          );
      }
      return watch.done(c);
    },
    watch.what,
    // Stalls are caught above within minutes; the deadline only ends a run that still moves, so
    // it is a day: an hour cut the 100,000 sleeping deliveries short at 60,343 on a slow day.
    { timeoutMs: 24 * 3_600_000, everyMs: 100 },
  );
  return (performance.now() - started) / 1000;
}

/**
 * From the `send` call over HTTP until every outcome is recorded. The API runs in its own process,
 * as in production, so that its CPU is its own.
 */
export async function endToEnd(stack: Stack, size: number, workers: number, log: (m: string) => void) {
  const taskQueue = `bench-${size}-${workers}-${Date.now()}`;
  const procs = await stack.startWorkers(workers, taskQueue);
  const api = await stack.startApiProcess(taskQueue);
  try {
    const { key, mailingId } = await seedBenchMailing(stack, size, 'ok.test');
    const workerRss = peakRss(procs.map((p) => p.pid!));
    const temporalRss = peakRss(stack.serverPids.temporal());
    const cpu = cpuProfile({
      temporal: stack.serverPids.temporal,
      temporalDatabase: stack.serverPids.temporalDatabase,
      workers: () => procs.map((p) => p.pid!),
      api: () => [api.process.pid!],
      postgres: stack.serverPids.postgres,
    });
    const seconds = await sendAndWatch(stack, api.url, key, mailingId, {
      what: `${size} deliveries`,
      log,
      done: (c) => c.ended >= size,
      progress: (c, m) => `${m.deliveries_started} started, ${c.ended} ended`,
    });
    const cpuSeconds = cpu.stop();
    return {
      size,
      workers,
      seconds: round(seconds),
      deliveriesPerSecond: round(size / seconds),
      workerPeakRssMb: workerRss.stop(),
      temporalPeakRssMb: temporalRss.stop(),
      // Where the time went (the bounce lab and the bench's own polling are in benchProcess).
      cpuSeconds,
      cpuMsPerDelivery: cpuMsPer(cpuSeconds, size),
    };
  } finally {
    await stopProcess(api.process);
    await Promise.all(procs.map((p) => stopProcess(p)));
  }
}

/** The SMTP path's own limit: a pooled nodemailer transport straight to the lab, no Temporal, no database. */
export async function bareSmtp(stack: Stack, size: number) {
  const transport = nodemailer.createTransport({
    url: stack.lab.url,
    pool: true,
    maxConnections: 20,
    maxMessages: Infinity,
  } as never);
  const concurrency = 100;
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < size) {
        const i = next++;
        await transport.sendMail({
          from: 'bench@sender.example',
          to: `bare${i}@ok.test`,
          subject: 'Bench',
          text: 'Hello',
          messageId: `<bare-${i}@sender.example>`,
        });
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  transport.close();
  return { size, messagesPerSecond: round(size / seconds) };
}

/** GET /stats under load with `rows` deliveries in one mailing, next to a naive GROUP BY. */
export async function statsLatency(stack: Stack, rows: number, log: (m: string) => void) {
  const { key, mailingId, accountId } = await seedBenchMailing(stack, rows, 'ok.test');
  log(`  ${rows} contacts seeded; writing ${rows} delivery rows and their counters ...`);
  // Ended deliveries in the proportions of a real mailing; the counters as recording would keep them.
  await sql`
    insert into deliveries (account_id, mailing_id, contact_id, email, email_key, status, reason)
    select ${accountId}, ${mailingId}, c.id, c.email, c.email_key,
           (array['delivered','delivered','delivered','delivered','delivered','delivered','delivered',
                  'technical_problem','incorrect_address','in_progress'])[1 + (c.id % 10)],
           'bench'
      from contacts c where c.account_id = ${accountId}`.execute(stack.db);
  await sql`
    insert into mailing_counters (mailing_id, shard, total, delivered, incorrect_addresses, technical_problems)
    select mailing_id, id % 8, count(*), count(*) filter (where status = 'delivered'),
           count(*) filter (where status = 'incorrect_address'), count(*) filter (where status = 'technical_problem')
      from deliveries where mailing_id = ${mailingId} group by 1, 2`.execute(stack.db);
  await sql`update mailings set status = 'sending', recipients_total = ${rows} where id = ${mailingId}`.execute(
    stack.db,
  );
  await sql`analyze deliveries`.execute(stack.db);

  const naive: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    await sql`select status, count(*) from deliveries where mailing_id = ${mailingId} group by status`.execute(
      stack.db,
    );
    naive.push(performance.now() - t0);
  }

  const api = await stack.startApiProcess();
  try {
    const load = async (connections: number) => {
      const result = await autocannon({
        url: `${api.url}/v1/mailings/${mailingId}/stats`,
        headers: { authorization: `Bearer ${key}` },
        connections,
        duration: 10,
      });
      if (result.non2xx > 0 || result.errors > 0)
        throw new Error(`stats: ${result.non2xx} non-2xx, ${result.errors} errors`);
      return result;
    };
    // 10 connections as fast as they go (a closed loop: latency there is mostly queueing behind the
    // other nine), then one client asking again as soon as it has its answer: the time one request
    // takes, with nothing queued in front of it.
    const loaded = await load(10);
    const alone = await load(1);
    // The same one client, timed to the microsecond (autocannon keeps whole milliseconds), beside
    // the floor of HTTP on this machine: the same route refused before its query (an id that
    // cannot exist: the key check, the rate limits, the routing, a JSON answer, no database).
    // Alternated in turns, so that both see the same machine.
    const auth = { authorization: `Bearer ${key}` };
    const timed = { stats: [] as number[], noQuery: [] as number[] };
    for (let turn = 0; turn < 4; turn++) {
      timed.stats.push(...(await oneClient(`${api.url}/v1/mailings/${mailingId}/stats`, auth, 200, 2.5)));
      timed.noQuery.push(...(await oneClient(`${api.url}/v1/mailings/none/stats`, auth, 404, 2.5)));
    }
    return {
      rows,
      p50Ms: loaded.latency.p50,
      p99Ms: loaded.latency.p99,
      requestsPerSecond: round(loaded.requests.average),
      oneConnection: {
        p50Ms: alone.latency.p50,
        p99Ms: alone.latency.p99,
        requestsPerSecond: round(alone.requests.average),
      },
      oneClientTimed: { stats: percentiles(timed.stats), noQuery: percentiles(timed.noQuery) },
      naiveGroupByMs: round(median(naive)),
    };
  } finally {
    await stopProcess(api.process);
  }
}

/**
 * One keep-alive connection asking again as soon as it has its answer, for `seconds`: each request's
 * ms, from the write of the request to the last byte of the answer. The request is written as bytes
 * on a socket and the answer read by its Content-Length: a client that does next to nothing, so
 * that the time is the server's and the machine's, not an HTTP client's (Node's adds ~0.3 ms).
 */
async function oneClient(url: string, headers: Record<string, string>, status: number, seconds: number) {
  const { hostname, port, pathname } = new URL(url);
  const request = Buffer.from(
    `GET ${pathname} HTTP/1.1\r\nHost: ${hostname}:${port}\r\n` +
      Object.entries(headers)
        .map(([k, v]) => `${k}: ${v}\r\n`)
        .join('') +
      '\r\n',
  );
  const socket = net.connect(Number(port), hostname);
  socket.setNoDelay(true);
  await once(socket, 'connect');
  let received: Buffer = Buffer.alloc(0);
  let answered: ((code: number) => void) | undefined;
  let failed: ((err: Error) => void) | undefined;
  socket.on('error', (err) => failed?.(err));
  socket.on('close', () => failed?.(new Error(`${url}: the server closed the connection`)));
  socket.on('data', (chunk: Buffer) => {
    received = received.length ? Buffer.concat([received, chunk]) : chunk;
    const headEnd = received.indexOf('\r\n\r\n');
    if (headEnd < 0) return;
    const head = received.subarray(0, headEnd).toString('latin1');
    const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? NaN);
    if (!(received.length >= headEnd + 4 + length)) return; // more to come (or no length: an error below)
    received = received.subarray(headEnd + 4 + length);
    answered?.(Number(head.slice(9, 12)));
  });
  const times: number[] = [];
  try {
    const end = performance.now() + seconds * 1000;
    while (performance.now() < end) {
      const started = performance.now();
      const code = await new Promise<number>((resolve, reject) => {
        answered = resolve;
        failed = reject;
        socket.write(request);
      });
      times.push(performance.now() - started);
      if (code !== status) throw new Error(`${url}: ${code}, not ${status}`);
    }
  } finally {
    socket.destroy();
  }
  return times;
}

function percentiles(ms: number[]) {
  const sorted = [...ms].sort((a, b) => a - b);
  const at = (q: number) => round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!, 2);
  return { requests: sorted.length, p50Ms: at(0.5), p90Ms: at(0.9), p99Ms: at(0.99), p999Ms: at(0.999) };
}

/** Worker memory once `count` deliveries to busy.test all wait on their 3–4 h timers. */
export async function sleeping(stack: Stack, count: number, log: (m: string) => void) {
  const taskQueue = `bench-sleep-${Date.now()}`;
  const [worker] = await stack.startWorkers(1, taskQueue);
  const api = await startApi(
    { db: stack.db, temporal: stack.connection, namespace: stack.namespace, taskQueue },
    0,
  );
  try {
    const { key, mailingId } = await seedBenchMailing(stack, count, 'busy.test');
    const atStart = rssMb(worker!.pid!);
    const peak = peakRss([worker!.pid!]);
    const seconds = await sendAndWatch(stack, api.url, key, mailingId, {
      what: `${count} sleeping deliveries`,
      log,
      done: (c) => c.retrying >= count,
      // The worker's RSS on every line: a run cut short still says where memory stood.
      progress: (c) => `${c.retrying}/${count} waiting, worker RSS ${rssMb(worker!.pid!)} MB`,
    });
    await new Promise((r) => setTimeout(r, 5_000)); // let the last tasks settle
    return {
      deliveries: count,
      workerRssMb: rssMb(worker!.pid!),
      workerPeakRssMb: peak.stop(),
      workerRssAtStartMb: atStart,
      seconds: round(seconds),
    };
  } finally {
    await api.stop();
  }
}
