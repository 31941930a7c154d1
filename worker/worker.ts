/** The composition root of a worker: connection, task queue, workflow bundle, activities. */
import { bundleWorkflowCode, NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import fs from 'node:fs/promises';
import { createActivities, type ActivityDeps } from '../activities';

export type WorkerDeps = ActivityDeps & {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  /** A prebuilt bundle (tests build it once); otherwise the worker bundles `workflows/` at start. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  tuning?: Partial<WorkerOptions>;
};

/**
 * What this service's workers run with beyond the SDK's defaults (the bench's floor workers too, so
 * that the floor is measured on the same footing); each measured in docs/performance.md.
 */
export const WORKER_DEFAULTS = {
  // Most deliveries sleep for hours between attempts: keeping them all in memory would grow the
  // worker with the number of waiting deliveries (1.4 GB for 10,000 with the SDK's default). An
  // evicted delivery is replayed from its short history when its timer fires. A cached workflow
  // costs about 0.2 MB (its state in the workflow thread's V8 heap and in the SDK core): 500 of
  // them kept the worker at 384 MB with 5,000 waiting, 100 at 294 MB, and the end-to-end rate and
  // CPU per delivery did not change.
  maxCachedWorkflows: 100,
  // Workflow task polls scale with the work instead of ten always open: in three rounds of 2,000
  // deliveries, 26.3–26.8 deliveries/s against 19.8–25.1 with the default, 8 % less CPU each.
  workflowTaskPollerBehavior: { type: 'autoscaling' },
} satisfies Partial<WorkerOptions>;

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

/** WORKER_*_TASK_POLLERS: `auto` lets the SDK scale the polls with the work (1 to 100); a number caps them. */
export function pollerBehavior(
  setting: number | 'auto',
): NonNullable<WorkerOptions['workflowTaskPollerBehavior']> {
  return setting === 'auto' ? { type: 'autoscaling' } : { type: 'simple-maximum', maximum: setting };
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
