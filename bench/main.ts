/**
 * `npm run bench`: throughput and latency of the service on this machine, against its own servers
 * (or external ones from TEMPORAL_ADDRESS / DATABASE_URL). Prints a table, writes bench/results.json
 * in the shape of docs/performance.md.
 *
 *   npm run bench -- --sizes 1000,10000,100000 --workers 1,2 --stats-rows 1000000 --sleeping 100000
 *                    [--repeat 2] [--skip-floor] [--temporal-db-port 5433]
 *                    [--sqlite-pragmas journal_mode=wal,synchronous=normal]
 *
 * Each size runs, in turn, the floor (the simplest workflows on the same server: bench/floor/) and
 * the delivery mailing; with --repeat N the turns are repeated, each repeat starting one workload
 * later, and the medians reported.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { runMain } from '../runtime/run-main';
import { FLOOR_KINDS, floor } from './floor/run';
import { median, round } from './measure';
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
      /** Runs of each scenario (floor and end to end, interleaved); medians are reported. */
      repeat: { type: 'string', default: '1' },
      'skip-floor': { type: 'boolean', default: false },
      /** The port of an external Temporal's own PostgreSQL on this machine, for its CPU column. */
      'temporal-db-port': { type: 'string' },
    },
  });
  const repeat = Math.max(1, list(values.repeat)[0] ?? 1);
  const sizes = list(values.sizes);
  const workerCounts = list(values.workers);
  const statsRows = list(values['stats-rows'])[0] ?? 0;
  const sleepingCount = list(values.sleeping)[0] ?? 0;
  const log = (m: string) => console.log(`[bench] ${m}`);

  const pragmas = values['sqlite-pragmas'];
  const temporalDbPort = values['temporal-db-port'];
  const stack = await startStack(log, {
    ...(pragmas !== undefined && { sqlitePragmas: pragmas.split(',').filter(Boolean) }),
    ...(temporalDbPort !== undefined && { temporalDatabasePort: list(temporalDbPort)[0] }),
  });
  const results = {
    at: new Date().toISOString(),
    machine: `${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.type()} ${os.arch()}, ${os.cpus()[0]?.model.trim() ?? ''}`,
    temporal: stack.temporalKind,
    database: process.env.DATABASE_URL ? 'external (DATABASE_URL)' : 'embedded PostgreSQL',
    repeat,
    endToEnd: [] as EndToEndRow[],
    floor: [] as FloorRow[],
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
      const floorRuns = new Map<string, Awaited<ReturnType<typeof floor>>[]>();
      const e2eRuns = new Map<number, Awaited<ReturnType<typeof endToEnd>>[]>();
      const workloads: Array<(turn: string) => Promise<void>> = [
        ...(values['skip-floor'] ? [] : FLOOR_KINDS).map((kind) => async (turn: string) => {
          log(`floor ${kind}, ${size} workflows${turn} ...`);
          const row = await floor(stack, kind, size);
          floorRuns.set(kind, [...(floorRuns.get(kind) ?? []), row]);
          log(`  ${JSON.stringify(row)}`);
        }),
        ...workerCounts.map((workers) => async (turn: string) => {
          log(`end to end, ${size} deliveries, ${workers} worker(s)${turn} ...`);
          const row = await endToEnd(stack, size, workers, log);
          e2eRuns.set(workers, [...(e2eRuns.get(workers) ?? []), row]);
          log(`  ${JSON.stringify(row)}`);
        }),
      ];
      for (let r = 1; r <= repeat; r++) {
        const turn = repeat > 1 ? ` (run ${r} of ${repeat})` : '';
        // Each repeat starts one workload later: the server slows with every workflow run on it
        // (the dev server's one-activity floor fell from 53 to ~40 workflows a second over 16,000 of
        // them, its CPU per workflow rose from 21 to ~30 ms: docs/performance.md), and a fixed order
        // always gave the delivery the most worn server. With as many repeats as workloads, each
        // runs once in each place.
        for (let i = 0; i < workloads.length; i++) await workloads[(i + r - 1) % workloads.length]!(turn);
      }
      const floorRows = [...floorRuns.values()].map((runs) => ({
        ...medians(runs),
        runs: runs.map((f) => f.workflowsPerSecond),
      })) as FloorRow[];
      results.floor.push(...floorRows);
      for (const runs of e2eRuns.values()) {
        const row = medians(runs);
        const ratio = (kind: string) => {
          const f = floorRows.find((x) => x.kind === kind);
          return f ? round(row.deliveriesPerSecond / f.workflowsPerSecond, 2) : null;
        };
        results.endToEnd.push({
          ...row,
          floorRatio: { oneActivity: ratio('oneActivity'), oneSend: ratio('oneSend') },
          runs: runs.map((e) => e.deliveriesPerSecond),
        });
      }
      await save();
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

type EndToEndRow = Awaited<ReturnType<typeof endToEnd>> & {
  floorRatio: { oneActivity: number | null; oneSend: number | null };
  runs: number[];
};
type FloorRow = Awaited<ReturnType<typeof floor>> & { runs: number[] };

/** The median of every numeric field (nested ones too) over several runs of one scenario. */
function medians<T>(runs: T[]): T {
  const first = runs[0] as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(first)) {
    const values = runs.map((r) => (r as Record<string, unknown>)[key]);
    if (typeof value === 'number' && values.every((v) => typeof v === 'number'))
      out[key] = round(median(values), 2);
    else if (value && typeof value === 'object' && !Array.isArray(value)) out[key] = medians(values);
    else out[key] = value;
  }
  return out as T;
}

function printTable(r: {
  machine: string;
  temporal: string;
  endToEnd: EndToEndRow[];
  floor: FloorRow[];
  bareSmtp: Array<{ size: number; messagesPerSecond: number }>;
  stats: Awaited<ReturnType<typeof statsLatency>> | null;
  sleeping: { deliveries: number; workerRssMb: number | null } | null;
}) {
  console.log(`\n${r.machine}; Temporal: ${r.temporal}\n`);
  console.log(
    '| size | workers | seconds | deliveries/s | ÷ oneActivity floor | ÷ oneSend floor | bare SMTP msg/s | worker peak RSS MB | Temporal peak RSS MB |',
  );
  console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const e of r.endToEnd) {
    const bare = r.bareSmtp.find((b) => b.size === e.size)?.messagesPerSecond ?? NaN;
    console.log(
      `| ${e.size} | ${e.workers} | ${e.seconds} | ${e.deliveriesPerSecond} | ${e.floorRatio.oneActivity ?? '–'} | ${e.floorRatio.oneSend ?? '–'} | ${bare} | ${e.workerPeakRssMb ?? '–'} | ${e.temporalPeakRssMb ?? '–'} |`,
    );
  }
  const parts = ['temporal', 'temporalDatabase', 'workers', 'api', 'postgres', 'total'];
  console.log(`\nCPU-ms per delivery or floor workflow (${parts.join(' / ')}):\n`);
  console.log('| run | size | per second | ' + parts.join(' | ') + ' |');
  console.log('|---|---:|---:|' + parts.map(() => '---:').join('|') + '|');
  const cpuRow = (name: string, size: number, rate: number, cpu: Record<string, number>) =>
    console.log(`| ${name} | ${size} | ${rate} | ${parts.map((p) => cpu[p] ?? '–').join(' | ')} |`);
  for (const f of r.floor) cpuRow(`floor ${f.kind}`, f.size, f.workflowsPerSecond, f.cpuMsPerWorkflow);
  for (const e of r.endToEnd)
    cpuRow(`delivery, ${e.workers} worker(s)`, e.size, e.deliveriesPerSecond, e.cpuMsPerDelivery);
  if (r.stats)
    console.log(
      `\nstatistics, ${r.stats.rows} rows: at ${r.stats.requestsPerSecond} requests/s (10 connections, as fast as they go) p50 ${r.stats.p50Ms} ms, p99 ${r.stats.p99Ms} ms; one connection (${r.stats.oneConnection.requestsPerSecond} requests/s) p50 ${r.stats.oneConnection.p50Ms} ms, p99 ${r.stats.oneConnection.p99Ms} ms; naive GROUP BY ${r.stats.naiveGroupByMs} ms`,
    );
  if (r.stats) {
    const { stats, noQuery } = r.stats.oneClientTimed;
    console.log(
      `one client, to the microsecond: statistics p50 ${stats.p50Ms} ms, p99 ${stats.p99Ms} ms; the same route refused before its query (the floor of HTTP here) p50 ${noQuery.p50Ms} ms, p99 ${noQuery.p99Ms} ms`,
    );
  }
  if (r.sleeping)
    console.log(`${r.sleeping.deliveries} sleeping deliveries: worker RSS ${r.sleeping.workerRssMb} MB`);
}

runMain(main);
