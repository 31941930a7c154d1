/**
 * The worker and the API in processes of their own, started the way production starts them
 * (worker/main.ts with the heap cap and a prebuilt bundle, api/main.ts): for drills that kill or stop
 * them and for the bench. The bundle is written once per test file, so a worker polls within a
 * second or two instead of running webpack first.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { WORKER_ENV, WORKER_NODE_FLAGS } from '../worker/node-flags';
import { FIXTURE_DKIM_KEY_SECRET } from './fixture-domain';
import { freePort } from './ports';
import { until } from './until';
import { writeWorkflowBundle } from '../worker/worker';

let bundlePath: Promise<string> | undefined;
export function prebuiltBundlePath(): Promise<string> {
  // Under npm test, the run's global setup has built one already.
  const built = process.env.TEST_WORKFLOW_BUNDLE_PATH;
  if (built) return Promise.resolve(built);
  bundlePath ??= (async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bundle-')), 'workflow-bundle.js');
    await writeWorkflowBundle(file);
    return file;
  })();
  return bundlePath;
}

/**
 * Forks worker/main.ts with `env` on top of this process's; its stdout is dropped, stderr kept.
 * Its return paths are signed with a throw-away secret unless `env` gives one: the bounces of drill
 * and bench messages go nowhere. Its DKIM keys open with the fixture secret of seeded domains.
 */
export async function forkWorker(env: NodeJS.ProcessEnv): Promise<ChildProcess> {
  return fork(path.join(__dirname, '..', 'worker', 'main.ts'), [], {
    execArgv: [...WORKER_NODE_FLAGS, '--import', 'tsx'],
    env: {
      ...WORKER_ENV,
      ...process.env,
      BOUNCE_SECRET: randomBytes(24).toString('base64url'),
      DKIM_ENCRYPTION_KEY: FIXTURE_DKIM_KEY_SECRET,
      WORKFLOW_BUNDLE_PATH: await prebuiltBundlePath(),
      ...env,
    },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
}

/** Forks api/main.ts on a free port with `env` on top of this process's; resolves once healthy. */
export async function forkApi(env: NodeJS.ProcessEnv): Promise<{ url: string; process: ChildProcess }> {
  const port = await freePort();
  const api = fork(path.join(__dirname, '..', 'api', 'main.ts'), [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, DKIM_ENCRYPTION_KEY: FIXTURE_DKIM_KEY_SECRET, ...env, PORT: String(port) },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    await until(
      () =>
        fetch(`${url}/health`).then(
          (r) => r.ok,
          () => false,
        ),
      'the API healthy',
      { timeoutMs: 60_000, everyMs: 300 },
    );
  } catch (err) {
    api.kill('SIGKILL');
    throw err;
  }
  return { url, process: api };
}

/** SIGTERM, then SIGKILL if it has not exited after the worker's 30 s grace time and a margin. */
export async function stopProcess(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return;
  const exited = new Promise((resolve) => p.once('exit', resolve));
  p.kill('SIGTERM');
  const timer = setTimeout(() => p.kill('SIGKILL'), 40_000);
  await exited;
  clearTimeout(timer);
}

/** Waits until `n` workers poll the task queue. */
export async function waitForPoller(client: Client, taskQueue: string, n = 1): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    const res = await client.workflowService.describeTaskQueue({
      namespace: client.options.namespace,
      taskQueue: { name: taskQueue },
      taskQueueType: 1, // workflow
    });
    if (new Set(res.pollers.map((p) => p.identity)).size >= n) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`${n} worker(s) did not start polling ${taskQueue} within 120 s`);
}
