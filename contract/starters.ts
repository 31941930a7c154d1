/**
 * Starting the workflows, for the API and for backend services, without knowing task queues, ids or
 * input shapes. Typed by the contract's signatures, never by importing workflows/.
 *
 *   const client = new Client({ connection: await Connection.connect({ address: 'temporal:7233' }) });
 *   const handle = await startDelivery(client, { mailingId: '12', contactId: '345', email: 'ann@example.com' });
 */
import {
  type Client,
  type WorkflowHandle,
  type WorkflowHandleWithFirstExecutionRunId,
  WorkflowExecutionAlreadyStartedError,
} from '@temporalio/client';
import { TypedSearchAttributes } from '@temporalio/common';
import { recipientDomain } from '../domain/address';
import { retryBounds } from '../domain/retry';
import { DELIVERY_REVISION, type DeliveryInput, type DeliveryWorkflow, deliveryWorkflowId } from './delivery';
import { type LateReport, type LateReportWorkflow, lateReportWorkflowId } from './late-report';
import { MAILING_STEPS_PER_RUN, type MailingInput, type MailingWorkflow, mailingWorkflowId } from './mailing';
import { DEFAULT_TASK_QUEUE, searchAttributes as sa, WORKFLOW_TYPES } from './names';

export async function startDelivery(
  client: Client,
  input: DeliveryInput,
  opts: { taskQueue?: string } = {},
): Promise<WorkflowHandle<DeliveryWorkflow>> {
  const workflowId = deliveryWorkflowId(input.mailingId, input.contactId);
  try {
    return await client.workflow.start<DeliveryWorkflow>(WORKFLOW_TYPES.delivery, {
      taskQueue: opts.taskQueue ?? DEFAULT_TASK_QUEUE,
      workflowId,
      // The retry bounds are fixed at start, whole: a later change of a default in the code never
      // changes a delivery that is already running. The revision says which code path it takes.
      args: [{ ...input, retry: retryBounds(input.retry), revision: DELIVERY_REVISION }],
      // One delivery per (mailing, contact), ever: a second start finds the running one, and one
      // that has already ended is never started again (which would send the message twice).
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      typedSearchAttributes: deliveryStartAttributes(input),
      // What the Temporal UI's workflow list shows next to the id: whom, for which mailing.
      staticSummary: deliverySummary(input),
    });
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return client.workflow.getHandle(workflowId);
    throw err;
  }
}

/**
 * Set at start, so the delivery is findable in the UI before its first task runs, and the workflow
 * (revision 1 on) upserts nothing before its first attempt.
 */
export function deliveryStartAttributes(input: Pick<DeliveryInput, 'email' | 'mailingId'>) {
  return new TypedSearchAttributes([
    { key: sa.RecipientEmail, value: input.email },
    { key: sa.RecipientDomain, value: recipientDomain(input.email) },
    { key: sa.MailingId, value: input.mailingId },
    { key: sa.DeliveryStatus, value: 'in_progress' },
    { key: sa.DeliveryAttempts, value: 0 },
  ]);
}

/** `ann@example.com · mailing 12`: the line an operator reads in the workflow list. */
export function deliverySummary(input: Pick<DeliveryInput, 'email' | 'mailingId'>): string {
  return `${input.email} · mailing ${input.mailingId}`;
}

export function startMailing(
  client: Client,
  input: MailingInput,
  opts: { taskQueue?: string } = {},
): Promise<WorkflowHandleWithFirstExecutionRunId<MailingWorkflow>> {
  return client.workflow.start<MailingWorkflow>(WORKFLOW_TYPES.mailing, {
    taskQueue: opts.taskQueue ?? DEFAULT_TASK_QUEUE,
    workflowId: mailingWorkflowId(input.mailingId),
    args: [{ stepsPerRun: MAILING_STEPS_PER_RUN, ...input }],
    // A retried `send` request finds the running fan-out instead of starting a second one.
    workflowIdConflictPolicy: 'USE_EXISTING',
    typedSearchAttributes: new TypedSearchAttributes([{ key: sa.MailingId, value: input.mailingId }]),
    staticSummary: `mailing ${input.mailingId}: fan-out of its deliveries`,
  });
}

/**
 * Hands a late report to Temporal (the listener does it before it answers 250). The same report
 * twice is one workflow: a second start finds the first, running or ended.
 */
export async function startLateReport(
  client: Client,
  report: LateReport,
  opts: { taskQueue?: string } = {},
): Promise<void> {
  try {
    await client.workflow.start<LateReportWorkflow>(WORKFLOW_TYPES.lateReport, {
      taskQueue: opts.taskQueue ?? DEFAULT_TASK_QUEUE,
      workflowId: lateReportWorkflowId(report),
      args: [report],
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      typedSearchAttributes: new TypedSearchAttributes(
        report.recipient
          ? [
              { key: sa.RecipientEmail, value: report.recipient },
              { key: sa.RecipientDomain, value: recipientDomain(report.recipient) },
            ]
          : [],
      ),
      staticSummary:
        report.kind === 'complaint'
          ? `complaint (${report.feedbackType}) about ${report.recipient ?? 'an unknown recipient'}`
          : report.kind === 'unsubscribe'
            ? `unsubscribe by mail, delivery ${report.deliveryId}`
            : `late ${report.action} ${report.status ?? ''} for ${report.recipient ?? 'an unknown recipient'}`,
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
}
