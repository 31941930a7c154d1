/**
 * Writes what happened to a delivery. Each function is one transaction and idempotent by delivery
 * id (and attempt number): a retried or replayed activity never counts twice. What an outcome does
 * (status, counter, contact) is the policy table of domain/outcomes.ts.
 */
import { ApplicationFailure } from '@temporalio/activity';
import type { AttemptRecord } from '../contract/delivery';
import { emailKey } from '../domain/address';
import { type DeliveryOutcome, type DeliveryStatus, OUTCOMES, outcomeOf } from '../domain/outcomes';
import type { Db } from '../db/connection';
import * as contacts from '../db/contacts';
import * as counters from '../db/counters';
import * as deliveries from '../db/deliveries';
import * as mailings from '../db/mailings';

/** Named so the workflow's activity options can list it as non-retryable. */
export class UnknownMailingError extends Error {
  override name = 'UnknownMailingError';
}

/**
 * The delivery row of (mailing, contact), created on first call with the mailing's total counted.
 * The mailing fan-out may have created it already; then this only reads its id and status. When the
 * mailing already has a delivery to the same mailbox for another contact (the same key), nothing is
 * created and the workflow fails without sending (`DuplicateRecipient`, not retried): a mailing
 * never sends twice to one mailbox.
 */
export async function beginDelivery(
  db: Db,
  input: { mailingId: string; contactId: string; email: string; workflowId?: string },
): Promise<{ deliveryId: string; status: DeliveryStatus }> {
  return db.transaction().execute(async (trx) => {
    const accountId = await mailings.accountOf(trx, input.mailingId);
    if (accountId === undefined) throw new UnknownMailingError(`mailing ${input.mailingId} does not exist`);
    const recipient = trx.selectNoFrom((eb) => [
      eb.val(accountId).as('account_id'),
      eb.val(input.mailingId).as('mailing_id'),
      eb.val(input.contactId).as('contact_id'),
      eb.val(input.email).as('email'),
      eb.val(emailKey(input.email)).as('email_key'),
    ]) as unknown as deliveries.RecipientSource;
    const [created] = await deliveries.createDeliveries(trx, input.mailingId, recipient);
    if (created) return { deliveryId: created, status: 'in_progress' };
    const existing = await deliveries.findByPair(trx, input.mailingId, input.contactId);
    if (existing) return { deliveryId: existing.id, status: existing.status };
    const twin = await deliveries.findByKey(trx, input.mailingId, emailKey(input.email));
    throw ApplicationFailure.create({
      type: 'DuplicateRecipient',
      nonRetryable: true,
      message: `mailing ${input.mailingId} already has delivery ${twin?.id ?? '?'} to this address (contact ${twin?.contact_id ?? '?'}): not sent twice`,
    });
  });
}

/** A soft bounce that will be retried: the attempt, and the delivery's progress for statistics. */
export async function recordRetry(
  db: Db,
  input: { deliveryId: string; attempt: AttemptRecord; nextAttemptAt: string },
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    if (!(await deliveries.addAttempt(trx, input.deliveryId, input.attempt))) return;
    const before = await deliveries.lock(trx, input.deliveryId);
    if (before.status !== 'in_progress') return;
    await deliveries.setProgress(trx, input.deliveryId, input.attempt, input.nextAttemptAt);
    if (before.next_attempt_at === null)
      await counters.bump(trx, before.mailing_id, input.deliveryId, { retrying: 1 });
  });
}

/**
 * The end of a delivery: its last attempt (if any), its final status, the counters and what the
 * policy says happens to the contact. A hard bounce marks the contact incorrect only while its email
 * is still the mailbox that bounced (same key): a contact corrected since the send stays as it is,
 * and the delivery still counts as an incorrect address in the mailing's statistics.
 */
export async function recordOutcome(
  db: Db,
  input: { deliveryId: string; attempt: AttemptRecord | null; outcome: DeliveryOutcome },
): Promise<{ recorded: boolean }> {
  return db.transaction().execute((trx) => endDelivery(trx, input));
}

/**
 * A final reply's end, written by the send that got it (see activities/send.ts): the end that
 * recordOutcome would write, and the reply marked `ended` (a retry of the send then reports it,
 * and the workflow records nothing), in one transaction: a reply marked `ended` is always an end
 * written.
 */
export async function recordEndOfSend(
  db: Db,
  deliveryId: string,
  attempt: AttemptRecord & { ended: true },
): Promise<void> {
  const { n: _n, at: _at, ...settled } = attempt;
  const { category, reason } = attempt.classification;
  await db.transaction().execute(async (trx) => {
    await endDelivery(trx, { deliveryId, attempt, outcome: outcomeOf(category, reason) });
    await deliveries.saveReply(trx, deliveryId, settled);
  });
}

async function endDelivery(
  trx: Db,
  input: { deliveryId: string; attempt: AttemptRecord | null; outcome: DeliveryOutcome },
): Promise<{ recorded: boolean }> {
  const { deliveryId, attempt, outcome } = input;
  const policy = OUTCOMES[outcome.category];
  const before = await deliveries.lock(trx, deliveryId);
  if (before.status !== 'in_progress') return { recorded: false };
  if (attempt) await deliveries.addAttempt(trx, deliveryId, attempt);
  await deliveries.end(trx, deliveryId, outcome, attempt);
  await counters.bump(trx, before.mailing_id, deliveryId, {
    [policy.counter]: 1,
    retrying: before.next_attempt_at === null ? 0 : -1,
  });
  await counters.countReason(trx, before.mailing_id, deliveryId, outcome.reason);
  if (policy.contact === 'mark_incorrect')
    await contacts.markIncorrect(trx, before.contact_id, before.email_key, deliveryId, outcome.reason);
  return { recorded: true };
}
