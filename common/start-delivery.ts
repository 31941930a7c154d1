/**
 * For backend services: start one delivery without knowing task queues or input shapes.
 *
 *   const client = new Client({ connection: await Connection.connect({ address: 'temporal:7233' }) });
 *   const handle = await startDelivery(client, { mailingId: '12', contactId: '345', email: 'ann@example.com' });
 */
import type { Client, WorkflowHandle } from '@temporalio/client';
import { TypedSearchAttributes } from '@temporalio/common';
import type { delivery } from '../workflows/delivery';
import { type DeliveryInput, deliveryWorkflowId, recipientDomain } from './delivery';
import { DEFAULT_TASK_QUEUE, searchAttributes as sa } from './names';

export async function startDelivery(
  client: Client,
  input: DeliveryInput,
  opts: { taskQueue?: string } = {},
): Promise<WorkflowHandle<typeof delivery>> {
  return client.workflow.start<typeof delivery>('delivery', {
    taskQueue: opts.taskQueue ?? DEFAULT_TASK_QUEUE,
    workflowId: deliveryWorkflowId(input.mailingId, input.contactId),
    args: [input],
    // A second start of the same (mailing, contact) returns the running delivery, never a second send.
    workflowIdConflictPolicy: 'USE_EXISTING',
    // Set at start, so the delivery is findable in the UI before its first task runs.
    typedSearchAttributes: new TypedSearchAttributes([
      { key: sa.RecipientEmail, value: input.email },
      { key: sa.RecipientDomain, value: recipientDomain(input.email) },
      { key: sa.MailingId, value: input.mailingId },
      { key: sa.DeliveryStatus, value: 'in_progress' },
    ]),
  });
}
