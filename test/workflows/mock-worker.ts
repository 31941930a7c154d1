/**
 * Workflow tests in the shape of Temporal's samples: one time-skipping test server per file (created
 * in beforeAll, torn down in afterAll), and per test a worker of its own, on a task queue of its own,
 * running the real workflow bundle with typed mock activities until the test is done.
 */
import { temporal } from '@temporalio/proto';
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { randomBytes } from 'node:crypto';
import type { DeliveryActivities } from '../../activities';
import { workflowBundle } from '../support/delivery-harness';
import { createTimeSkippingEnv, expectWorkflowFailure, quietRuntime } from '../support/temporal';
import { until } from '../../dev/until';

const { EventType } = temporal.api.enums.v1;

/** The file's test server: set in beforeAll. */
export function useTimeSkipping(): { readonly env: TestWorkflowEnvironment } {
  const holder = {} as { env: TestWorkflowEnvironment };
  beforeAll(async () => {
    quietRuntime();
    holder.env = await createTimeSkippingEnv();
  });
  afterAll(async () => {
    await holder.env?.teardown();
  });
  return holder;
}

/** Any subset of the worker's activities, with their real signatures. */
export type MockActivities = Partial<DeliveryActivities>;

/**
 * Runs `test` while a fresh worker with `activities` polls a fresh task queue (also used as the
 * workflow id). `expectFailure` marks the workflow as one that is meant to fail.
 */
export async function withMockWorker<T>(
  env: TestWorkflowEnvironment,
  activities: MockActivities,
  test: (ids: { taskQueue: string; workflowId: string }) => Promise<T>,
  opts: { expectFailure?: boolean } = {},
): Promise<T> {
  const taskQueue = `mock-${randomBytes(5).toString('hex')}`;
  if (opts.expectFailure) expectWorkflowFailure(taskQueue);
  const worker = await Worker.create({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    taskQueue,
    workflowBundle: await workflowBundle(),
    activities,
  });
  return worker.runUntil(test({ taskQueue, workflowId: taskQueue }));
}

/** Resolves once the workflow has run the handler of the last signal it was sent. */
export async function signalHandled(handle: WorkflowHandle): Promise<void> {
  await until(
    async () => {
      const events = (await handle.fetchHistory()).events ?? [];
      let signaled = -1;
      events.forEach((e, i) => {
        if (e.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED) signaled = i;
      });
      return (
        signaled >= 0 &&
        events.slice(signaled).some((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED)
      );
    },
    'the signal handled by the workflow',
    { timeoutMs: 10_000, everyMs: 20 },
  );
}

/** A promise and its resolve function: lets a mock activity wait for the test. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}
