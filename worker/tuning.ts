/**
 * What this service's workers run with beyond the SDK's defaults, each measured in
 * docs/performance.md. The bench's floor workers take the same, so that the floor is measured on
 * the same footing. Types only from the SDK: the configuration's tests load this without it.
 */
import type { WorkerOptions } from '@temporalio/worker';

type PollerBehavior = NonNullable<WorkerOptions['workflowTaskPollerBehavior']>;

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
} as const satisfies Partial<WorkerOptions>;

/** WORKER_*_TASK_POLLERS: `auto` lets the SDK scale the polls with the work (1 to 100); a number caps them. */
export function pollerBehavior(setting: number | 'auto'): PollerBehavior {
  return setting === 'auto' ? { type: 'autoscaling' } : { type: 'simple-maximum', maximum: setting };
}
