/**
 * Writes what happened to a delivery. Each function is one transaction and idempotent by delivery
 * id (and attempt number): a retried or replayed activity never counts twice.
 */
import { sql, type Transaction } from 'kysely';
import type { AttemptRecord, DeliveryOutcome } from '../common/delivery';
import type { Db } from '../db/connection';
import type { Database, DeliveryStatus } from '../db/schema';

/** Counters are split in shards so that concurrent outcomes of one mailing rarely wait on each other. */
export const COUNTER_SHARDS = 8;
const shardOf = (deliveryId: string) => Number(BigInt(deliveryId) % BigInt(COUNTER_SHARDS));

type Trx = Transaction<Database>;

async function bumpCounters(
  trx: Trx,
  mailingId: string,
  deliveryId: string,
  delta: Partial<
    Record<'total' | 'delivered' | 'incorrect_addresses' | 'technical_problems' | 'retrying', number>
  >,
) {
  const shard = shardOf(deliveryId);
  const values = {
    total: 0,
    delivered: 0,
    incorrect_addresses: 0,
    technical_problems: 0,
    retrying: 0,
    ...delta,
  };
  await trx
    .insertInto('mailing_counters')
    .values({ mailing_id: mailingId, shard, ...values })
    .onConflict((oc) =>
      oc.columns(['mailing_id', 'shard']).doUpdateSet({
        total: sql`mailing_counters.total + ${values.total}`,
        delivered: sql`mailing_counters.delivered + ${values.delivered}`,
        incorrect_addresses: sql`mailing_counters.incorrect_addresses + ${values.incorrect_addresses}`,
        technical_problems: sql`mailing_counters.technical_problems + ${values.technical_problems}`,
        retrying: sql`mailing_counters.retrying + ${values.retrying}`,
      }),
    )
    .execute();
}

/**
 * The delivery row of (mailing, contact), created on first call with the mailing's total counted.
 * The mailing fan-out may have created it already; then this only reads its id.
 */
export async function beginDelivery(
  db: Db,
  input: { mailingId: string; contactId: string; email: string; workflowId: string },
): Promise<{ deliveryId: string; status: DeliveryStatus }> {
  return db.transaction().execute(async (trx) => {
    const mailing = await trx
      .selectFrom('mailings')
      .select('account_id')
      .where('id', '=', input.mailingId)
      .executeTakeFirst();
    if (!mailing) throw new UnknownMailingError(`mailing ${input.mailingId} does not exist`);
    const inserted = await trx
      .insertInto('deliveries')
      .values({
        account_id: mailing.account_id,
        mailing_id: input.mailingId,
        contact_id: input.contactId,
        email: input.email,
        workflow_id: input.workflowId,
      })
      .onConflict((oc) => oc.columns(['mailing_id', 'contact_id']).doNothing())
      .returning('id')
      .executeTakeFirst();
    if (inserted) {
      await bumpCounters(trx, input.mailingId, inserted.id, { total: 1 });
      return { deliveryId: inserted.id, status: 'in_progress' };
    }
    const existing = await trx
      .selectFrom('deliveries')
      .select(['id', 'status'])
      .where('mailing_id', '=', input.mailingId)
      .where('contact_id', '=', input.contactId)
      .executeTakeFirstOrThrow();
    return { deliveryId: existing.id, status: existing.status };
  });
}

/** Named so the workflow's activity options can list it as non-retryable. */
export class UnknownMailingError extends Error {
  override name = 'UnknownMailingError';
}

function attemptRow(deliveryId: string, a: AttemptRecord) {
  return {
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
  };
}

/** Inserts the attempt; false when it was already there (a retried activity). */
async function insertAttempt(trx: Trx, deliveryId: string, attempt: AttemptRecord): Promise<boolean> {
  const row = await trx
    .insertInto('delivery_attempts')
    .values(attemptRow(deliveryId, attempt))
    .onConflict((oc) => oc.columns(['delivery_id', 'n']).doNothing())
    .returning('n')
    .executeTakeFirst();
  return row !== undefined;
}

/** A soft bounce that will be retried: the attempt, and the delivery's progress for statistics. */
export async function recordRetry(
  db: Db,
  input: { deliveryId: string; attempt: AttemptRecord; nextAttemptAt: string },
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    if (!(await insertAttempt(trx, input.deliveryId, input.attempt))) return;
    const before = await trx
      .selectFrom('deliveries')
      .select(['mailing_id', 'next_attempt_at', 'status'])
      .where('id', '=', input.deliveryId)
      .forUpdate()
      .executeTakeFirstOrThrow();
    if (before.status !== 'in_progress') return;
    await trx
      .updateTable('deliveries')
      .set({
        attempts: input.attempt.n,
        category: input.attempt.classification.category,
        reason: input.attempt.classification.reason,
        last_reply: input.attempt.reply,
        last_attempt_at: input.attempt.at,
        next_attempt_at: input.nextAttemptAt,
      })
      .where('id', '=', input.deliveryId)
      .execute();
    if (before.next_attempt_at === null)
      await bumpCounters(trx, before.mailing_id, input.deliveryId, { retrying: 1 });
  });
}

const COUNTER_OF = {
  delivered: 'delivered',
  incorrect_address: 'incorrect_addresses',
  technical_problem: 'technical_problems',
} as const;

/**
 * The end of a delivery: its last attempt (if any), its final status, the counters and, for a hard
 * bounce, the contact marked incorrect and taken out of every group (the groups are remembered, so
 * that correcting the address puts it back).
 */
export async function recordOutcome(
  db: Db,
  input: { deliveryId: string; attempt: AttemptRecord | null; outcome: DeliveryOutcome },
): Promise<{ recorded: boolean }> {
  return db.transaction().execute(async (trx) => {
    const before = await trx
      .selectFrom('deliveries')
      .select(['mailing_id', 'contact_id', 'status', 'next_attempt_at'])
      .where('id', '=', input.deliveryId)
      .forUpdate()
      .executeTakeFirstOrThrow();
    if (before.status !== 'in_progress') return { recorded: false };
    if (input.attempt) await insertAttempt(trx, input.deliveryId, input.attempt);
    const { outcome, attempt } = input;
    await trx
      .updateTable('deliveries')
      .set({
        status: outcome.status,
        category: outcome.category,
        reason: outcome.reason,
        ...(attempt ? { attempts: attempt.n, last_reply: attempt.reply, last_attempt_at: attempt.at } : {}),
        next_attempt_at: null,
        ended_at: sql<Date>`now()`,
      })
      .where('id', '=', input.deliveryId)
      .execute();
    await bumpCounters(trx, before.mailing_id, input.deliveryId, {
      [COUNTER_OF[outcome.status]]: 1,
      retrying: before.next_attempt_at === null ? 0 : -1,
    });
    const shard = shardOf(input.deliveryId);
    await trx
      .insertInto('mailing_reason_counters')
      .values({ mailing_id: before.mailing_id, shard, reason: outcome.reason, n: 1 })
      .onConflict((oc) =>
        oc.columns(['mailing_id', 'shard', 'reason']).doUpdateSet({ n: sql`mailing_reason_counters.n + 1` }),
      )
      .execute();
    if (outcome.status === 'incorrect_address')
      await markContactIncorrect(trx, before.contact_id, input.deliveryId, outcome.reason);
    return { recorded: true };
  });
}

async function markContactIncorrect(
  trx: Trx,
  contactId: string,
  deliveryId: string,
  reason: string,
): Promise<void> {
  await trx
    .updateTable('contacts')
    .set({
      status: 'incorrect',
      incorrect_reason: reason,
      incorrect_since: sql<Date>`now()`,
      updated_at: sql<Date>`now()`,
    })
    .where('id', '=', contactId)
    .execute();
  await trx
    .insertInto('removed_group_members')
    .columns(['contact_id', 'group_id', 'delivery_id'])
    .expression((eb) =>
      eb
        .selectFrom('group_members')
        .select(['contact_id', 'group_id', eb.val(deliveryId).as('delivery_id')])
        .where('contact_id', '=', contactId),
    )
    .onConflict((oc) => oc.columns(['contact_id', 'group_id']).doNothing())
    .execute();
  await trx.deleteFrom('group_members').where('contact_id', '=', contactId).execute();
}
