/**
 * Per-mailing counters: the only module that reads or writes `mailing_counters` and
 * `mailing_reason_counters`. Statistics are O(1) reads of them; recording moves them in the same
 * transaction as the delivery it records. Rows are split in shards so that concurrent outcomes of
 * one mailing rarely wait on each other.
 */
import { type ExpressionBuilder, sql } from 'kysely';
import type { Counter } from '../domain/outcomes';
import type { Db } from './connection';
import { prepared } from './prepared';
import type { Database } from './schema';

export const COUNTER_SHARDS = 8;
const shardOf = (deliveryId: string) => Number(BigInt(deliveryId) % BigInt(COUNTER_SHARDS));

/** Every counter column: each reader and writer below goes through this list. */
const COLUMNS = [
  'total',
  'delivered',
  'incorrect_addresses',
  'technical_problems',
  'retrying',
  'complaints',
  'unsubscribed',
] as const satisfies readonly ('total' | Counter | 'retrying' | 'complaints' | 'unsubscribed')[];
type Column = (typeof COLUMNS)[number];
export type Delta = Partial<Record<Column, number>>;

/** The sums of a mailing's counters; `ended` and `inProgress` follow from them. */
export type Counters = {
  total: number;
  delivered: number;
  incorrectAddresses: number;
  technicalProblems: number;
  retrying: number;
  /** Complaints (feedback loops) about this mailing's messages, and contacts it lost to unsubscribing. */
  complaints: number;
  unsubscribed: number;
  ended: number;
  inProgress: number;
};

/** Adds `delta` to the counters of the delivery's shard. */
export function bump(db: Db, mailingId: string, deliveryId: string, delta: Delta): Promise<void> {
  return bumpShard(db, mailingId, shardOf(deliveryId), delta);
}

async function bumpShard(db: Db, mailingId: string, shard: number, delta: Delta): Promise<void> {
  const v = Object.fromEntries(COLUMNS.map((c) => [c, delta[c] ?? 0])) as Record<Column, number>;
  await db
    .insertInto('mailing_counters')
    .values({ mailing_id: mailingId, shard, ...v })
    .onConflict((oc) =>
      oc
        .columns(['mailing_id', 'shard'])
        .doUpdateSet(
          Object.fromEntries(COLUMNS.map((c) => [c, sql`mailing_counters.${sql.ref(c)} + ${v[c]}`])),
        ),
    )
    .execute();
}

/** Counts new deliveries into the mailing's total, one upsert per shard they fall in. */
export async function addToTotal(db: Db, mailingId: string, deliveryIds: string[]): Promise<void> {
  const perShard = new Map<number, number>();
  for (const id of deliveryIds) perShard.set(shardOf(id), (perShard.get(shardOf(id)) ?? 0) + 1);
  for (const [shard, n] of perShard) await bumpShard(db, mailingId, shard, { total: n });
}

/** One more (or, `by` -1, one less) ended delivery with this reason: the statistics' `byReason`. */
export async function countReason(db: Db, mailingId: string, deliveryId: string, reason: string, by = 1) {
  await db
    .insertInto('mailing_reason_counters')
    .values({ mailing_id: mailingId, shard: shardOf(deliveryId), reason, n: by })
    .onConflict((oc) =>
      oc
        .columns(['mailing_id', 'shard', 'reason'])
        .doUpdateSet({ n: sql`mailing_reason_counters.n + ${by}` }),
    )
    .execute();
}

/** The sums, written once: every reader of the counters selects these. */
function sums(eb: ExpressionBuilder<Database, 'mailing_counters'>) {
  return COLUMNS.map((c) => eb.fn.coalesce(eb.fn.sum<string>(c), sql<string>`0`).as(c));
}

type SumRow = Record<Column, string | number>;
function countersOf(row: SumRow): Counters {
  const n = (c: Column) => Number(row[c]);
  const ended = n('delivered') + n('incorrect_addresses') + n('technical_problems');
  return {
    total: n('total'),
    delivered: n('delivered'),
    incorrectAddresses: n('incorrect_addresses'),
    technicalProblems: n('technical_problems'),
    retrying: n('retrying'),
    complaints: n('complaints'),
    unsubscribed: n('unsubscribed'),
    ended,
    inProgress: n('total') - ended,
  };
}

const ZERO = countersOf(Object.fromEntries(COLUMNS.map((c) => [c, 0])) as SumRow);

/** The counters of several mailings (a page of the list) in one query. */
export async function countersOfMailings(db: Db, mailingIds: string[]): Promise<Map<string, Counters>> {
  const found = new Map<string, Counters>(mailingIds.map((id) => [id, ZERO]));
  if (mailingIds.length === 0) return found;
  const rows = await db
    .selectFrom('mailing_counters')
    .select('mailing_id')
    .select(sums)
    .where('mailing_id', 'in', mailingIds)
    .groupBy('mailing_id')
    .execute();
  for (const row of rows) found.set(String(row.mailing_id), countersOf(row));
  return found;
}

export async function countersOfMailing(db: Db, mailingId: string): Promise<Counters> {
  return (await countersOfMailings(db, [mailingId])).get(mailingId)!;
}

/**
 * The delivery graph of one mailing of the account: counters and ended deliveries by reason in one
 * round trip (statistics are polled). Undefined when the account has no such mailing.
 */
export async function statistics(db: Db, accountId: string, mailingId: string) {
  const row = await db
    .selectFrom('mailings as m')
    .modifyFront(prepared('mailing_statistics'))
    .innerJoinLateral(
      (eb) => eb.selectFrom('mailing_counters').select(sums).whereRef('mailing_id', '=', 'm.id').as('c'),
      (join) => join.onTrue(),
    )
    .selectAll('c')
    .select(
      sql<Record<string, string | number>>`(select coalesce(json_object_agg(reason, n order by reason), '{}')
        from (select reason, sum(n) as n from mailing_reason_counters where mailing_id = m.id
               group by reason having sum(n) > 0) r)`.as('reasons'),
    )
    .where('m.id', '=', mailingId)
    .where('m.account_id', '=', accountId)
    .executeTakeFirst();
  if (!row) return undefined;
  return {
    ...countersOf(row),
    byReason: Object.fromEntries(Object.entries(row.reasons).map(([k, v]) => [k, Number(v)])),
  };
}
