/**
 * The mailing fan-out's side effects: the recipient snapshot, starting delivery workflows batch by
 * batch, and the end check. Each is idempotent, so a retried activity never starts or counts twice.
 */
import { ApplicationFailure } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type { MailingInput } from '../contract/mailing';
import { startDelivery } from '../contract/starters';
import type { Db } from '../db/connection';
import * as counters from '../db/counters';
import * as deliveries from '../db/deliveries';
import * as mailings from '../db/mailings';

/**
 * Freezes the recipients: one delivery row per distinct active contact of the mailing's groups, and
 * the counters' totals. Runs once; a retry finds `recipients_total` set and only reads it.
 */
export async function resolveRecipients(db: Db, input: { mailingId: string }): Promise<{ total: number }> {
  return db.transaction().execute(async (trx) => {
    const m = await mailings.lockForSnapshot(trx, input.mailingId);
    if (!m || m.status === 'draft')
      throw ApplicationFailure.nonRetryable(`mailing ${input.mailingId} was not sent`, 'MailingNotSending');
    if (m.recipients_total !== null) return { total: m.recipients_total };
    await deliveries.createDeliveries(
      trx,
      input.mailingId,
      mailings.recipientsOf(trx, input.mailingId, m.account_id),
    );
    const { total } = await counters.countersOfMailing(trx, input.mailingId);
    await mailings.setRecipientsTotal(trx, input.mailingId, total);
    return { total };
  });
}

/** How many workflow starts are in flight at once within one batch. */
const START_CONCURRENCY = 50;

/**
 * Starts the delivery workflows of the next `limit` recipients after `afterDeliveryId` (keyset
 * pagination: memory stays one batch). Starting is idempotent by workflow id, so a retried batch
 * finds the deliveries it already started and starts none twice.
 */
export async function startDeliveries(
  deps: { db: Db; temporal: Client; taskQueue: string },
  input: {
    mailingId: string;
    afterDeliveryId: string | null;
    limit: number;
    startedBefore: number;
    retry?: MailingInput['retry'];
  },
): Promise<{ started: number; lastDeliveryId: string | null }> {
  const rows = await deliveries.batchAfter(deps.db, input.mailingId, input.afterDeliveryId, input.limit);
  // A delivery that has ended is never started again, whatever Temporal remembers.
  const toStart = rows.filter((r) => r.status === 'in_progress');
  for (let i = 0; i < toStart.length; i += START_CONCURRENCY) {
    await Promise.all(
      toStart.slice(i, i + START_CONCURRENCY).map((r) =>
        startDelivery(
          deps.temporal,
          {
            mailingId: input.mailingId,
            contactId: r.contact_id,
            email: r.email,
            deliveryId: r.id,
            ...(input.retry && { retry: input.retry }),
          },
          { taskQueue: deps.taskQueue },
        ),
      ),
    );
  }
  await mailings.setDeliveriesStarted(deps.db, input.mailingId, input.startedBefore + rows.length);
  return { started: rows.length, lastDeliveryId: rows.at(-1)?.id ?? null };
}

/** Marks the mailing done once every recipient's delivery has ended. */
export async function checkMailingDone(
  db: Db,
  input: { mailingId: string },
): Promise<{ done: boolean; ended: number; total: number }> {
  const m = await mailings.progressOf(db, input.mailingId);
  const total = m.recipients_total ?? 0;
  const { ended } = await counters.countersOfMailing(db, input.mailingId);
  if (m.status === 'done') return { done: true, ended, total };
  if (ended < total) return { done: false, ended, total };
  await mailings.markDone(db, input.mailingId);
  return { done: true, ended, total };
}
