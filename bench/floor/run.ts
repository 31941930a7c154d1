/**
 * The floor scenario: `size` workflows of one floor kind (bench/floor/workflows.ts) started the way
 * the fan-out starts deliveries (50 starts in flight), on the same Temporal server, timed from the
 * first start until all have completed, with the CPU of every process.
 */
import { bundleWorkflowCode } from '@temporalio/worker';
import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stopProcess, waitForPoller } from '../../dev/service-process';
import { until } from '../../dev/until';
import { WORKER_ENV, WORKER_NODE_FLAGS } from '../../worker/node-flags';
import { bundlerLogger } from '../../worker/worker';
import { cpuProfile, round } from '../measure';
import type { Stack } from '../stack';

export type FloorKind = 'oneActivity' | 'oneSend';
export const FLOOR_KINDS: FloorKind[] = ['oneActivity', 'oneSend'];

/** Starts in flight at once: the fan-out's START_CONCURRENCY (activities/mailing.ts). */
const START_CONCURRENCY = 50;

let bundlePath: Promise<string> | undefined;
function floorBundlePath(): Promise<string> {
  bundlePath ??= (async () => {
    const { code } = await bundleWorkflowCode({
      workflowsPath: require.resolve('./workflows'),
      logger: bundlerLogger,
    });
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'floor-')), 'floor-bundle.js');
    fs.writeFileSync(file, code);
    return file;
  })();
  return bundlePath;
}

async function forkFloorWorker(stack: Stack, taskQueue: string): Promise<ChildProcess> {
  const worker = fork(path.join(__dirname, 'worker.ts'), [], {
    execArgv: [...WORKER_NODE_FLAGS, '--import', 'tsx'],
    env: {
      ...WORKER_ENV,
      ...process.env,
      TEMPORAL_ADDRESS: stack.temporalAddress,
      TEMPORAL_NAMESPACE: stack.namespace,
      TEMPORAL_TASK_QUEUE: taskQueue,
      SMTP_URL: stack.lab.url,
      FLOOR_BUNDLE_PATH: await floorBundlePath(),
    },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  await waitForPoller(stack.client, taskQueue, 1);
  return worker;
}

export async function floor(stack: Stack, kind: FloorKind, size: number) {
  const run = `${Date.now()}`;
  const taskQueue = `floor-${kind}-${size}-${run}`;
  const worker = await forkFloorWorker(stack, taskQueue);
  try {
    const cpu = cpuProfile({
      temporal: stack.serverPids.temporal,
      temporalDatabase: stack.serverPids.temporalDatabase,
      workers: () => [worker.pid!],
      postgres: stack.serverPids.postgres,
    });
    const started = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: START_CONCURRENCY }, async () => {
        while (next < size) {
          const i = next++;
          await stack.client.workflow.start(kind, {
            taskQueue,
            workflowId: `floor-${kind}-${run}-${i}`,
            args: kind === 'oneSend' ? [`f${i}@ok.test`] : [],
          });
        }
      }),
    );
    await until(
      async () => {
        const { count } = await stack.client.workflow.count(
          `TaskQueue = '${taskQueue}' AND ExecutionStatus = 'Completed'`,
        );
        return count >= size;
      },
      `${size} ${kind} workflows`,
      { timeoutMs: 3_600_000, everyMs: 250 },
    );
    const seconds = (performance.now() - started) / 1000;
    const cpuSeconds = cpu.stop();
    return {
      kind,
      size,
      seconds: round(seconds),
      workflowsPerSecond: round(size / seconds),
      cpuMsPerWorkflow: cpuMsPer(cpuSeconds, size),
    };
  } finally {
    await stopProcess(worker);
  }
}

/** CPU-ms per unit of work for each part, and all parts together (the bench's own polling aside). */
export function cpuMsPer(cpuSeconds: Record<string, number>, size: number): Record<string, number> {
  const out: Record<string, number> = {};
  let total = 0;
  for (const [part, s] of Object.entries(cpuSeconds)) {
    if (part === 'benchProcess') continue;
    out[part] = round((s * 1000) / size);
    total += s;
  }
  out.total = round((total * 1000) / size);
  return out;
}
