/**
 * Deliveries and their attempts. A delivery row is created with the mailing's total counted (one
 * path, for the fan-out's snapshot and for a delivery a backend service starts alone); recording
 * writes attempts idempotently, keyed by (delivery, attempt number).
 */
import { type SelectQueryBuilder, sql } from 'kysely';
import type { AttemptRecord, AttemptResult } from '../contract/delivery';
import { deliveryWorkflowId } from '../contract/delivery';
import type { DeliveryStatus } from '../domain/outcomes';
import type { Db } from './connection';
import * as contacts from './contacts';
import * as counters from './counters';
import { keysetPage, type Page } from './page';
import type { Database } from './schema';

/** Recipients to create deliveries for: (account, mailing, contact, email, email key) rows. */
export type RecipientSource = SelectQueryBuilder<
  Database,
  keyof Database,
  { account_id: string; mailing_id: string; contact_id: string; email: string; email_key: string }
>;

/**
 * Creates the deliveries of `recipients` that do not exist yet and counts them into the mailing's
 * total, in the caller's transaction. One per (mailing, contact) and one per (mailing, key): a
 * mailbox the mailing already has a delivery for, under any spelling, gets none. Returns the ids
 * created.
 */
export async function createDeliveries(
  trx: Db,
  mailingId: string,
  recipients: RecipientSource,
): Promise<string[]> {
  const created = await trx
    .insertInto('deliveries')
    .columns(['account_id', 'mailing_id', 'contact_id', 'email', 'email_key'])
    .expression(recipients)
    // Either unique index: (mailing, contact) or (mailing, key) among the rows that own their key.
    .onConflict((oc) => oc.doNothing())
    .returning('id')
    .execute();
  const ids = created.map((r) => r.id);
  await counters.addToTotal(trx, mailingId, ids);
  return ids;
}

/** The delivery of the mailing to this mailbox (by key), whichever contact it was for. */
export function findByKey(db: Db, mailingId: string, emailKey: string) {
  return db
    .selectFrom('deliveries')
    .select(['id', 'contact_id', 'status'])
    .where('mailing_id', '=', mailingId)
    .where('email_key', '=', emailKey)
    .where('duplicate_of', 'is', null)
    .executeTakeFirst();
}

/** The delivery of (mailing, contact), if there is one. */
export function findByPair(db: Db, mailingId: string, contactId: string) {
  return db
    .selectFrom('deliveries')
    .select(['id', 'status'])
    .where('mailing_id', '=', mailingId)
    .where('contact_id', '=', contactId)
    .executeTakeFirst();
}

/** The next `limit` deliveries of a mailing after `afterId`, in id order: the fan-out's batches. */
export function batchAfter(db: Db, mailingId: string, afterId: string | null, limit: number) {
  let q = db
    .selectFrom('deliveries')
    .select(['id', 'contact_id', 'email', 'status'])
    .where('mailing_id', '=', mailingId)
    .orderBy('id')
    .limit(limit);
  if (afterId !== null) q = q.where('id', '>', afterId);
  return q.execute();
}

/** The row locked for the rest of the transaction: recording reads its state before changing it. */
export function lock(trx: Db, deliveryId: string) {
  return trx
    .selectFrom('deliveries')
    .select(['mailing_id', 'contact_id', 'email', 'email_key', 'status', 'next_attempt_at'])
    .where('id', '=', deliveryId)
    .forUpdate()
    .executeTakeFirstOrThrow();
}

/** As lock, for a delivery that may have been deleted since (a late report about it). */
export function lockIfExists(trx: Db, deliveryId: string) {
  return trx
    .selectFrom('deliveries')
    .select(['mailing_id', 'contact_id', 'email', 'email_key', 'status', 'reason'])
    .where('id', '=', deliveryId)
    .forUpdate()
    .executeTakeFirst();
}

/** Inserts the attempt; false when it was already there (a retried activity). */
export async function addAttempt(trx: Db, deliveryId: string, a: AttemptRecord): Promise<boolean> {
  const row = await trx
    .insertInto('delivery_attempts')
    .values({
      delivery_id: deliveryId,
      n: a.n,
      at: a.at,
      reply: a.reply,
      code: a.classification.code,
      enhanced_code: a.classification.enhancedCode,
      category: a.classification.category,
      reason: a.classification.reason,
      rule: a.classification.rule,
      mx_host: a.mxHost,
      smtp_phase: a.phase,
      duration_ms: a.durationMs,
    })
    .onConflict((oc) => oc.columns(['delivery_id', 'n']).doNothing())
    .returning('n')
    .executeTakeFirst();
  return row !== undefined;
}

/** What the delivery row says after an attempt: its latest reply, and when (if) it is tried again. */
export async function setProgress(
  trx: Db,
  deliveryId: string,
  attempt: AttemptRecord,
  nextAttemptAt: string | null,
): Promise<void> {
  await trx
    .updateTable('deliveries')
    .set({
      attempts: attempt.n,
      category: attempt.classification.category,
      reason: attempt.classification.reason,
      last_reply: attempt.reply,
      last_attempt_at: attempt.at,
      next_attempt_at: nextAttemptAt,
    })
    .where('id', '=', deliveryId)
    .execute();
}

/** The delivery's end, with its last attempt when it had one. */
export async function end(
  trx: Db,
  deliveryId: string,
  outcome: { status: Exclude<DeliveryStatus, 'in_progress'>; category: string; reason: string },
  attempt: AttemptRecord | null,
): Promise<void> {
  await trx
    .updateTable('deliveries')
    .set({
      status: outcome.status,
      category: outcome.category,
      reason: outcome.reason,
      ...(attempt && { attempts: attempt.n, last_reply: attempt.reply, last_attempt_at: attempt.at }),
      next_attempt_at: null,
      ended_at: sql<Date>`now()`,
    })
    .where('id', '=', deliveryId)
    .execute();
}

/** A mailing's recipients with their contact's status (an incorrect one is shown greyed). */
export async function recipients(
  db: Db,
  mailingId: string,
  filter: { status?: DeliveryStatus | undefined },
  page: Page,
) {
  let q = db
    .selectFrom('deliveries as d')
    .innerJoin('contacts as c', 'c.id', 'd.contact_id')
    .select([
      'd.id',
      'd.mailing_id',
      'd.contact_id',
      'd.email',
      'd.status',
      'd.category',
      'd.reason',
      'd.attempts',
      'd.last_reply',
      'd.last_attempt_at',
      'd.next_attempt_at',
      'c.status as contact_status',
    ])
    .where('d.mailing_id', '=', mailingId);
  if (filter.status) q = q.where('d.status', '=', filter.status);
  return withWorkflowIds(await keysetPage(q, 'd.id', page));
}

/** One delivery of the account with every attempt, or undefined. */
export async function withAttempts(db: Db, accountId: string, deliveryId: string) {
  const d = await db
    .selectFrom('deliveries')
    .selectAll()
    .where('id', '=', deliveryId)
    .where('account_id', '=', accountId)
    .executeTakeFirst();
  if (!d) return undefined;
  const attempts = await db
    .selectFrom('delivery_attempts')
    .selectAll()
    .where('delivery_id', '=', deliveryId)
    .orderBy('n')
    .execute();
  return { ...withWorkflowId(d), attempts };
}

/** The contacts of a mailing whose delivery ended as a technical problem and that are still active. */
export function technicalProblemContacts(db: Db, mailingId: string) {
  return db
    .selectFrom('deliveries as d')
    .innerJoin('contacts as c', 'c.id', 'd.contact_id')
    .select('d.contact_id')
    .where('d.mailing_id', '=', mailingId)
    .where('d.status', '=', 'technical_problem')
    .where('c.status', '=', 'active');
}

function withWorkflowId<R extends { mailing_id: string; contact_id: string }>(r: R) {
  return { ...r, workflow_id: deliveryWorkflowId(r.mailing_id, r.contact_id) };
}
function withWorkflowIds<R extends { mailing_id: string; contact_id: string }>(rows: R[]) {
  return rows.map(withWorkflowId);
}

/** The reply a send recorded as settling this delivery, if any (see saveReply). */
export async function acceptanceOf(db: Db, deliveryId: string): Promise<AttemptResult | undefined> {
  const row = await db
    .selectFrom('delivery_acceptances')
    .select('result')
    .where('delivery_id', '=', deliveryId)
    .executeTakeFirst();
  return row?.result as AttemptResult | undefined;
}

/**
 * The reply that settles a delivery, for a retry of its send to report instead of sending again:
 * an acceptance, written before the send returns a 250 (kept as first written), or a final reply
 * whose end the send recorded, marked `ended` (it replaces the acceptance; a final refusal is kept
 * here too, though the table's name is from before that).
 */
export async function saveReply(db: Db, deliveryId: string, result: AttemptResult): Promise<void> {
  await db
    .insertInto('delivery_acceptances')
    .values({ delivery_id: deliveryId, result: JSON.stringify(result) })
    .onConflict((oc) =>
      result.ended
        ? oc.column('delivery_id').doUpdateSet((eb) => ({ result: eb.ref('excluded.result') }))
        : oc.column('delivery_id').doNothing(),
    )
    .execute();
}

/** Marks a late report applied; false when it was already (the same report received twice). */
export async function claimLateReport(
  trx: Db,
  deliveryId: string,
  key: string,
  kind: string,
): Promise<boolean> {
  const row = await trx
    .insertInto('late_reports')
    .values({ delivery_id: deliveryId, report_key: key, kind })
    .onConflict((oc) => oc.columns(['delivery_id', 'report_key']).doNothing())
    .returning('report_key')
    .executeTakeFirst();
  return row !== undefined;
}

/** A late report among the delivery's attempts (after them, flagged late): the API and ops see it. */
export async function addLateAttempt(
  trx: Db,
  deliveryId: string,
  r: {
    at: string;
    reply: string;
    category: string;
    reason: string;
    mxHost: string | null;
    status: string | null;
  },
): Promise<void> {
  await trx
    .insertInto('delivery_attempts')
    .columns([
      'delivery_id',
      'n',
      'at',
      'reply',
      'enhanced_code',
      'category',
      'reason',
      'mx_host',
      'smtp_phase',
      'late',
    ])
    .expression((eb) =>
      eb
        .selectFrom('delivery_attempts')
        .select([
          eb.val(deliveryId).as('delivery_id'),
          sql<number>`coalesce(max(n), 0) + 1`.as('n'),
          eb.val(r.at).as('at'),
          eb.val(r.reply).as('reply'),
          eb.val(r.status).as('enhanced_code'),
          eb.val(r.category).as('category'),
          eb.val(r.reason).as('reason'),
          eb.val(r.mxHost).as('mx_host'),
          eb.val('LATE').as('smtp_phase'),
          sql<boolean>`true`.as('late'),
        ])
        .where('delivery_id', '=', deliveryId),
    )
    .execute();
}

/** An ended delivery's outcome changed by a late report (a bounce after a 250). */
export async function changeOutcome(
  trx: Db,
  deliveryId: string,
  outcome: {
    status: Exclude<DeliveryStatus, 'in_progress'>;
    category: string;
    reason: string;
    /** What changed it (a late report): shown as the last reply, so that it agrees with the status. */
    reply: string;
  },
): Promise<void> {
  await trx
    .updateTable('deliveries')
    .set({
      status: outcome.status,
      category: outcome.category,
      reason: outcome.reason,
      last_reply: outcome.reply,
    })
    .where('id', '=', deliveryId)
    .execute();
}

/** A delivery's contact as its one-click unsubscribe page shows it (address and status); undefined: no such delivery. */
export function recipientOf(db: Db, deliveryId: string) {
  return db
    .selectFrom('deliveries')
    .innerJoin('contacts', 'contacts.id', 'deliveries.contact_id')
    .select(['deliveries.mailing_id', 'deliveries.contact_id', 'contacts.email', 'contacts.status'])
    .where('deliveries.id', '=', deliveryId)
    .executeTakeFirst();
}

/**
 * One-click unsubscribe through a delivery: its contact becomes `unsubscribed` (reason `one_click`)
 * and, when that changed it, the mailing's `unsubscribed` counter moves, in one transaction. Calling
 * it again changes nothing. Undefined: no such delivery.
 */
export function unsubscribeRecipient(
  db: Db,
  deliveryId: string,
): Promise<{ email: string; changed: boolean } | undefined> {
  return db.transaction().execute(async (trx) => {
    const r = await recipientOf(trx, deliveryId);
    if (!r) return undefined;
    const changed = await contacts.unsubscribe(trx, r.contact_id, 'one_click');
    if (changed) await counters.bump(trx, r.mailing_id, deliveryId, { unsubscribed: 1 });
    return { email: r.email, changed };
  });
}
