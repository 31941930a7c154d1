/**
 * `npm run bench`: throughput and latency of the service on this machine, against its own servers
 * (or external ones from TEMPORAL_ADDRESS / DATABASE_URL). Prints a table, writes bench/results.json
 * in the shape of docs/performance.md.
 *
 *   npm run bench -- --sizes 1000,10000,100000 --workers 1,2 --stats-rows 1000000 --sleeping 100000
 *                    [--sqlite-pragmas journal_mode=wal,synchronous=normal]
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { runMain } from '../runtime/run-main';
import { bareSmtp, endToEnd, sleeping, statsLatency } from './scenarios';
import { startStack } from './stack';

const list = (s: string) =>
  s
    .split(',')
    .filter(Boolean)
    .map((v) => {
      const n = Number(v.replace(/_/g, ''));
      if (!Number.isInteger(n) || n < 0) throw new Error(`not a count: ${v}`);
      return n;
    });

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      sizes: { type: 'string', default: '1000,10000,100000' },
      workers: { type: 'string', default: '1' },
      'stats-rows': { type: 'string', default: '1000000' },
      sleeping: { type: 'string', default: '100000' },
      /** Dev server SQLite pragmas, comma-separated ('' for SQLite's defaults). */
      'sqlite-pragmas': { type: 'string' },
    },
  });
  const sizes = list(values.sizes);
  const workerCounts = list(values.workers);
  const statsRows = list(values['stats-rows'])[0] ?? 0;
  const sleepingCount = list(values.sleeping)[0] ?? 0;
  const log = (m: string) => console.log(`[bench] ${m}`);

  const pragmas = values['sqlite-pragmas'];
  const stack = await startStack(log, {
    ...(pragmas !== undefined && { sqlitePragmas: pragmas.split(',').filter(Boolean) }),
  });
  const results = {
    at: new Date().toISOString(),
    machine: `${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.type()} ${os.arch()}, ${os.cpus()[0]?.model.trim() ?? ''}`,
    temporal: stack.temporalKind,
    database: process.env.DATABASE_URL ? 'external (DATABASE_URL)' : 'embedded PostgreSQL',
    endToEnd: [] as Awaited<ReturnType<typeof endToEnd>>[],
    bareSmtp: [] as Awaited<ReturnType<typeof bareSmtp>>[],
    stats: null as Awaited<ReturnType<typeof statsLatency>> | null,
    sleeping: null as Awaited<ReturnType<typeof sleeping>> | null,
  };
  const save = () =>
    fs.writeFile(path.join(__dirname, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  try {
    for (const size of sizes) {
      log(`bare SMTP, ${size} messages ...`);
      results.bareSmtp.push(await bareSmtp(stack, size));
      for (const workers of workerCounts) {
        log(`end to end, ${size} deliveries, ${workers} worker(s) ...`);
        results.endToEnd.push(await endToEnd(stack, size, workers, log));
        log(`  ${JSON.stringify(results.endToEnd.at(-1))}`);
        await save();
      }
    }
    if (statsRows > 0) {
      log(`statistics with ${statsRows} delivery rows ...`);
      results.stats = await statsLatency(stack, statsRows, log);
      await save();
    }
    if (sleepingCount > 0) {
      log(`${sleepingCount} deliveries sleeping on busy.test ...`);
      results.sleeping = await sleeping(stack, sleepingCount, log);
      await save();
    }
  } finally {
    await save();
    await stack.stop();
  }
  printTable(results);
}

function printTable(r: {
  machine: string;
  temporal: string;
  endToEnd: Array<{
    size: number;
    workers: number;
    seconds: number;
    deliveriesPerSecond: number;
    workerPeakRssMb: number | null;
    temporalPeakRssMb: number | null;
  }>;
  bareSmtp: Array<{ size: number; messagesPerSecond: number }>;
  stats: { rows: number; p50Ms: number; p99Ms: number; naiveGroupByMs: number } | null;
  sleeping: { deliveries: number; workerRssMb: number | null } | null;
}) {
  console.log(`\n${r.machine}; Temporal: ${r.temporal}\n`);
  console.log(
    '| size | workers | seconds | deliveries/s | bare SMTP msg/s | ratio | worker peak RSS MB | Temporal peak RSS MB |',
  );
  console.log('|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const e of r.endToEnd) {
    const bare = r.bareSmtp.find((b) => b.size === e.size)?.messagesPerSecond ?? NaN;
    console.log(
      `| ${e.size} | ${e.workers} | ${e.seconds} | ${e.deliveriesPerSecond} | ${bare} | ${(e.deliveriesPerSecond / bare).toFixed(3)} | ${e.workerPeakRssMb ?? '–'} | ${e.temporalPeakRssMb ?? '–'} |`,
    );
  }
  if (r.stats)
    console.log(
      `\nstatistics, ${r.stats.rows} rows: p50 ${r.stats.p50Ms} ms, p99 ${r.stats.p99Ms} ms; naive GROUP BY ${r.stats.naiveGroupByMs} ms`,
    );
  if (r.sleeping)
    console.log(`${r.sleeping.deliveries} sleeping deliveries: worker RSS ${r.sleeping.workerRssMb} MB`);
}

runMain(main);
