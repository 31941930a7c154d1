/**
 * Every side effect of a delivery and of a mailing's fan-out, built from the worker's dependencies. The workflow imports only
 * the type `DeliveryActivities`.
 */
import type { Client } from '@temporalio/client';
import type { AttemptResult } from '../common/delivery';
import type { Db } from '../db/connection';
import type { Mailing } from '../db/schema';
import { withHeartbeat } from './heartbeat';
import { checkMailingDone, resolveRecipients, startDeliveries } from './mailing';
import { beginDelivery, recordOutcome, recordRetry, UnknownMailingError } from './recording';
import type { createSmtpSender } from './smtp';

export type ActivityDeps = {
  db: Db;
  smtp: ReturnType<typeof createSmtpSender>;
  /** Domain of Message-IDs and of the VERP Return-Path. */
  mailDomain: string;
  /** The mailing fan-out starts delivery workflows with this client, on this task queue. */
  temporal: Client;
  taskQueue: string;
};

type MailingContent = Pick<Mailing, 'from_email' | 'from_name' | 'subject' | 'text_body' | 'html_body'>;

export function createActivities(deps: ActivityDeps) {
  // A mailing's content does not change once sent: read it once per worker, not once per delivery.
  const contentCache = new Map<string, MailingContent>();
  async function mailingContent(mailingId: string): Promise<MailingContent> {
    const hit = contentCache.get(mailingId);
    if (hit) return hit;
    const row = await deps.db
      .selectFrom('mailings')
      .select(['from_email', 'from_name', 'subject', 'text_body', 'html_body'])
      .where('id', '=', mailingId)
      .executeTakeFirst();
    if (!row) throw new UnknownMailingError(`mailing ${mailingId} does not exist`);
    if (contentCache.size >= 1000) contentCache.delete(contentCache.keys().next().value!);
    contentCache.set(mailingId, row);
    return row;
  }

  return {
    beginDelivery: (input: Parameters<typeof beginDelivery>[1]) => beginDelivery(deps.db, input),
    recordRetry: (input: Parameters<typeof recordRetry>[1]) => recordRetry(deps.db, input),
    recordOutcome: (input: Parameters<typeof recordOutcome>[1]) => recordOutcome(deps.db, input),
    resolveRecipients: (input: Parameters<typeof resolveRecipients>[1]) =>
      withHeartbeat(() => resolveRecipients(deps.db, input)),
    startDeliveries: (input: Parameters<typeof startDeliveries>[1]) =>
      withHeartbeat(() => startDeliveries(deps, input)),
    checkMailingDone: (input: Parameters<typeof checkMailingDone>[1]) => checkMailingDone(deps.db, input),

    /** One attempt: the message handed to the receiving server, its reply classified. */
    async sendAttempt(input: {
      deliveryId: string;
      mailingId: string;
      email: string;
    }): Promise<AttemptResult> {
      const m = await mailingContent(input.mailingId);
      return withHeartbeat(() => sendTo(m, input));
    },
  };

  function sendTo(m: MailingContent, input: { deliveryId: string; mailingId: string; email: string }) {
    return deps.smtp.send({
      to: input.email,
      from: m.from_email,
      fromName: m.from_name,
      returnPath: `bounces+${input.deliveryId}@${deps.mailDomain}`,
      subject: m.subject,
      text: m.text_body,
      html: m.html_body,
      // Stable across attempts: a receiver that did take an earlier try can spot the duplicate.
      messageId: `<delivery-${input.deliveryId}@${deps.mailDomain}>`,
      headers: { 'X-Delivery-Id': input.deliveryId, 'X-Mailing-Id': input.mailingId },
    });
  }
}

export type DeliveryActivities = ReturnType<typeof createActivities>;
