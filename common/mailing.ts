/**
 * The mailing workflow's contract: its id, its input (also what continue-as-new carries over) and
 * a typed starter used by the API.
 */
import type { Client, WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { TypedSearchAttributes } from '@temporalio/common';
import type { mailing } from '../workflows/mailing';
import type { DeliveryInput } from './delivery';
import { DEFAULT_TASK_QUEUE, searchAttributes as sa } from './names';

export type MailingInput = {
  mailingId: string;
  /** Carried over by continue-as-new: where the fan-out stands. */
  progress?: { total: number; started: number; afterDeliveryId: string | null; fanOutDone: boolean };
  /** Fan-out batch size (tests make it small to cross batch and continue-as-new boundaries). */
  batchSize?: number;
  /** Batches or polls per run before continue-as-new. */
  stepsPerRun?: number;
  /** Retry bounds for every delivery of the mailing (drills shorten the hours to seconds). */
  retry?: DeliveryInput['retry'];
};

export type MailingResult = { total: number; started: number };

export function mailingWorkflowId(mailingId: string): string {
  return `mailing-${mailingId}`;
}

export function startMailing(
  client: Client,
  input: MailingInput,
  opts: { taskQueue?: string } = {},
): Promise<WorkflowHandleWithFirstExecutionRunId<typeof mailing>> {
  return client.workflow.start<typeof mailing>('mailing', {
    taskQueue: opts.taskQueue ?? DEFAULT_TASK_QUEUE,
    workflowId: mailingWorkflowId(input.mailingId),
    args: [input],
    // A retried `send` request finds the running fan-out instead of starting a second one.
    workflowIdConflictPolicy: 'USE_EXISTING',
    typedSearchAttributes: new TypedSearchAttributes([{ key: sa.MailingId, value: input.mailingId }]),
  });
}
