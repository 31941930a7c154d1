/**
 * For backend services: start one delivery without knowing task queues or input shapes.
 *
 *   const client = new Client({ connection: await Connection.connect({ address: 'temporal:7233' }) });
 *   const handle = await startDelivery(client, { mailingId: '12', contactId: '345', email: 'ann@example.com' });
 */
import { type Client, type WorkflowHandle, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { TypedSearchAttributes } from '@temporalio/common';
import type { delivery } from '../workflows/delivery';
import { type DeliveryInput, deliveryWorkflowId, recipientDomain } from './delivery';
import { DEFAULT_TASK_QUEUE, searchAttributes as sa } from './names';

export async function startDelivery(
  client: Client,
  input: DeliveryInput,
  opts: { taskQueue?: string } = {},
): Promise<WorkflowHandle<typeof delivery>> {
  const workflowId = deliveryWorkflowId(input.mailingId, input.contactId);
  try {
    return await client.workflow.start<typeof delivery>('delivery', {
      taskQueue: opts.taskQueue ?? DEFAULT_TASK_QUEUE,
      workflowId,
      args: [input],
      // One delivery per (mailing, contact), ever: a second start finds the running one, and one
      // that has already ended is never started again (which would send the message twice).
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      // Set at start, so the delivery is findable in the UI before its first task runs.
      typedSearchAttributes: new TypedSearchAttributes([
        { key: sa.RecipientEmail, value: input.email },
        { key: sa.RecipientDomain, value: recipientDomain(input.email) },
        { key: sa.MailingId, value: input.mailingId },
        { key: sa.DeliveryStatus, value: 'in_progress' },
      ]),
    });
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return client.workflow.getHandle(workflowId);
    throw err;
  }
}
