/** The composition root of a worker: connection, task queue, workflow bundle, activities. */
import { bundleWorkflowCode, NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import fs from 'node:fs/promises';
import { createActivities, type ActivityDeps } from '../activities';
import { WORKER_DEFAULTS } from './tuning';

export type WorkerDeps = ActivityDeps & {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  /** A prebuilt bundle (tests build it once); otherwise the worker bundles `workflows/` at start. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  tuning?: Partial<WorkerOptions>;
};

const drop = () => undefined;
/** webpack's module-by-module report is noise in a service log; its warnings and errors are not. */
export const bundlerLogger = {
  trace: drop,
  debug: drop,
  info: drop,
  log: drop,
  warn: console.warn,
  error: console.error,
};

/** Bundles `workflows/` once: the same code the replay test checks. */
export function bundleWorkflows() {
  return bundleWorkflowCode({ workflowsPath: require.resolve('../workflows'), logger: bundlerLogger });
}

/** Writes the bundle to a file, for workers started with WORKFLOW_BUNDLE_PATH. */
export async function writeWorkflowBundle(file: string): Promise<void> {
  const { code } = await bundleWorkflows();
  // Written whole, then renamed: a worker never loads half a bundle.
  await fs.writeFile(`${file}.tmp`, code);
  await fs.rename(`${file}.tmp`, file);
}

export async function createWorker(deps: WorkerDeps): Promise<Worker> {
  return Worker.create({
    connection: deps.connection,
    namespace: deps.namespace,
    taskQueue: deps.taskQueue,
    workflowBundle: deps.workflowBundle ?? (await bundleWorkflows()),
    activities: createActivities(deps),
    // In-flight sends get this long to finish on SIGTERM before they are abandoned (and retried).
    shutdownGraceTime: '30s',
    ...WORKER_DEFAULTS,
    ...deps.tuning,
  });
}

export { NativeConnection };
