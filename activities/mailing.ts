/**
 * The mailing fan-out's side effects: the recipient snapshot, starting delivery workflows batch by
 * batch, and the end check. Each is idempotent, so a retried activity never starts or counts twice.
 */
import { ApplicationFailure } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { sql } from 'kysely';
import { DELIVERY_WORKFLOW_PREFIX, type DeliveryInput } from '../common/delivery';
import { startDelivery } from '../common/start-delivery';
import type { Db } from '../db/connection';
import { COUNTER_SHARDS } from './recording';

/**
 * Freezes the recipients: one delivery row per distinct active contact of the mailing's groups, and
 * the counters' totals. Runs once; a retry finds `recipients_total` set and only reads it.
 */
export async function resolveRecipients(db: Db, input: { mailingId: string }): Promise<{ total: number }> {
  return db.transaction().execute(async (trx) => {
    const m = await trx
      .selectFrom('mailings')
      .select(['account_id', 'status', 'recipients_total'])
      .where('id', '=', input.mailingId)
      .forUpdate()
      .executeTakeFirst();
    if (!m || m.status === 'draft')
      throw ApplicationFailure.nonRetryable(`mailing ${input.mailingId} was not sent`, 'MailingNotSending');
    if (m.recipients_total !== null) return { total: m.recipients_total };

    await sql`
      insert into deliveries (account_id, mailing_id, contact_id, email, workflow_id)
      select distinct on (c.id) c.account_id, mg.mailing_id, c.id, c.email,
             ${DELIVERY_WORKFLOW_PREFIX} || mg.mailing_id || '-' || c.id
        from mailing_groups mg
        join group_members gm on gm.group_id = mg.group_id
        join contacts c on c.id = gm.contact_id
       where mg.mailing_id = ${input.mailingId} and c.status = 'active' and c.account_id = ${m.account_id}
       order by c.id
      on conflict (mailing_id, contact_id) do nothing`.execute(trx);
    await sql`
      insert into mailing_counters (mailing_id, shard, total)
      select mailing_id, id % ${COUNTER_SHARDS}, count(*) from deliveries
       where mailing_id = ${input.mailingId} group by 1, 2
      on conflict (mailing_id, shard) do update set total = excluded.total`.execute(trx);
    const { n } = await trx
      .selectFrom('deliveries')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('mailing_id', '=', input.mailingId)
      .executeTakeFirstOrThrow();
    const total = Number(n);
    await trx
      .updateTable('mailings')
      .set({ recipients_total: total })
      .where('id', '=', input.mailingId)
      .execute();
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
    retry?: DeliveryInput['retry'];
  },
): Promise<{ started: number; lastDeliveryId: string | null }> {
  let query = deps.db
    .selectFrom('deliveries')
    .select(['id', 'contact_id', 'email', 'status'])
    .where('mailing_id', '=', input.mailingId)
    .orderBy('id')
    .limit(input.limit);
  if (input.afterDeliveryId !== null) query = query.where('id', '>', input.afterDeliveryId);
  const rows = await query.execute();
  for (let i = 0; i < rows.length; i += START_CONCURRENCY) {
    await Promise.all(
      rows
        .slice(i, i + START_CONCURRENCY)
        // A delivery that has ended is never started again, whatever Temporal remembers.
        .filter((r) => r.status === 'in_progress')
        .map((r) =>
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
  const started = input.startedBefore + rows.length;
  // Absolute, not incremented: a retried batch writes the same number again.
  await deps.db
    .updateTable('mailings')
    .set({ deliveries_started: started })
    .where('id', '=', input.mailingId)
    .where('deliveries_started', '<', started)
    .execute();
  return { started: rows.length, lastDeliveryId: rows.at(-1)?.id ?? null };
}

/** Sums of the counters of a mailing: what statistics and the end check read. */
export async function mailingCounters(db: Db, mailingId: string) {
  const row = await db
    .selectFrom('mailing_counters')
    .select((eb) => [
      eb.fn.coalesce(eb.fn.sum<string>('total'), sql<string>`0`).as('total'),
      eb.fn.coalesce(eb.fn.sum<string>('delivered'), sql<string>`0`).as('delivered'),
      eb.fn.coalesce(eb.fn.sum<string>('incorrect_addresses'), sql<string>`0`).as('incorrect_addresses'),
      eb.fn.coalesce(eb.fn.sum<string>('technical_problems'), sql<string>`0`).as('technical_problems'),
      eb.fn.coalesce(eb.fn.sum<string>('retrying'), sql<string>`0`).as('retrying'),
    ])
    .where('mailing_id', '=', mailingId)
    .executeTakeFirstOrThrow();
  const n = (v: string | number) => Number(v);
  const counters = {
    total: n(row.total),
    delivered: n(row.delivered),
    incorrectAddresses: n(row.incorrect_addresses),
    technicalProblems: n(row.technical_problems),
    retrying: n(row.retrying),
  };
  return {
    ...counters,
    ended: counters.delivered + counters.incorrectAddresses + counters.technicalProblems,
  };
}

/** Marks the mailing done once every recipient's delivery has ended. */
export async function checkMailingDone(
  db: Db,
  input: { mailingId: string },
): Promise<{ done: boolean; ended: number; total: number }> {
  const m = await db
    .selectFrom('mailings')
    .select(['status', 'recipients_total'])
    .where('id', '=', input.mailingId)
    .executeTakeFirstOrThrow();
  const total = m.recipients_total ?? 0;
  const { ended } = await mailingCounters(db, input.mailingId);
  if (m.status === 'done') return { done: true, ended, total };
  if (ended < total) return { done: false, ended, total };
  await db
    .updateTable('mailings')
    .set({ status: 'done', done_at: sql<Date>`now()` })
    .where('id', '=', input.mailingId)
    .where('status', '=', 'sending')
    .execute();
  return { done: true, ended, total };
}
