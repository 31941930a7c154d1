/** A mailing as the API answers it: its draft, its status and the progress of its send. */
import { z } from 'zod';
import type { Counters } from '../../db/counters';
import type { MailingRow } from '../../db/mailings';
import { timestamp } from '../validation';

export const mailingSchema = z.strictObject({
  id: z.string(),
  name: z.string(),
  fromEmail: z.string(),
  fromName: z.string().nullable(),
  subject: z.string(),
  text: z.string().nullable(),
  html: z.string().nullable(),
  groupIds: z.array(z.string()),
  status: z.enum(['draft', 'sending', 'done']),
  // Progress of a send: recipients resolved, delivery workflows started, deliveries ended.
  recipients: z.number().int().nullable(),
  deliveriesStarted: z.number().int(),
  deliveriesEnded: z.number().int(),
  workflowId: z.string().nullable(),
  createdAt: timestamp,
  sentAt: timestamp.nullable(),
  doneAt: timestamp.nullable(),
});

export function mailingJson(m: MailingRow, c: Counters): z.infer<typeof mailingSchema> {
  return {
    id: m.id,
    name: m.name,
    fromEmail: m.from_email,
    fromName: m.from_name,
    subject: m.subject,
    text: m.text_body,
    html: m.html_body,
    groupIds: m.group_ids,
    status: m.status,
    recipients: m.recipients_total,
    deliveriesStarted: m.deliveries_started,
    deliveriesEnded: c.ended,
    workflowId: m.workflow_id,
    createdAt: m.created_at.toISOString(),
    sentAt: m.sent_at?.toISOString() ?? null,
    doneAt: m.done_at?.toISOString() ?? null,
  };
}
