/** Groups and their members. */
import { type SelectQueryBuilder, sql } from 'kysely';
import type { Db } from './connection';
import { keysetPage, type Page } from './page';
import type { Database } from './schema';

function selectGroups(db: Db, accountId: string) {
  return db
    .selectFrom('groups as g')
    .select([
      'g.id',
      'g.name',
      'g.created_at',
      sql<string>`(select count(*) from group_members gm where gm.group_id = g.id)`.as('member_count'),
    ])
    .where('g.account_id', '=', accountId);
}
export type GroupRow = Awaited<ReturnType<ReturnType<typeof selectGroups>['executeTakeFirstOrThrow']>>;

export function get(db: Db, accountId: string, id: string): Promise<GroupRow | undefined> {
  return selectGroups(db, accountId).where('g.id', '=', id).executeTakeFirst();
}

export function list(db: Db, accountId: string, page: Page): Promise<GroupRow[]> {
  return keysetPage(selectGroups(db, accountId), 'g.id', page);
}

/** The ids among `ids` that are groups of the account. */
export async function existing(db: Db, accountId: string, ids: string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await db
    .selectFrom('groups')
    .select('id')
    .where('account_id', '=', accountId)
    .where('id', 'in', ids)
    .execute();
  return new Set(rows.map((r) => r.id));
}

export async function create(db: Db, accountId: string, name: string): Promise<string> {
  const { id } = await db
    .insertInto('groups')
    .values({ account_id: accountId, name })
    .returning('id')
    .executeTakeFirstOrThrow();
  return id;
}

/**
 * The account's group of that name (the oldest, if several), created when there is none: asking
 * twice for "a new group named X" gives one group. Serialised per (account, name) by a lock held
 * until the caller's transaction ends.
 */
export async function findOrCreateByName(trx: Db, accountId: string, name: string): Promise<string> {
  await sql`select pg_advisory_xact_lock(hashtextextended(${`group:${accountId}:${name}`}, 0))`.execute(trx);
  const found = await trx
    .selectFrom('groups')
    .select('id')
    .where('account_id', '=', accountId)
    .where('name', '=', name)
    .orderBy('id')
    .executeTakeFirst();
  return found?.id ?? create(trx, accountId, name);
}

/** Adds contacts (ids, or a query selecting `contact_id`) to a group; returns how many were new. */
/** A query of contact ids with the group id added, as the insert sees it. */
type Contacts = SelectQueryBuilder<Database, 'contacts', { contact_id: string; group_id: string }>;

export async function addMembers<DB, TB extends keyof DB>(
  trx: Db,
  groupId: string,
  contacts: string[] | SelectQueryBuilder<DB, TB, { contact_id: string }>,
): Promise<number> {
  if (Array.isArray(contacts) && contacts.length === 0) return 0;
  const insert = trx.insertInto('group_members');
  const added = await (
    Array.isArray(contacts)
      ? // In id order: two requests adding overlapping contacts then lock the same rows in the
        // same order, and one waits for the other instead of both deadlocking.
        insert.values([...contacts].sort(byId).map((contact_id) => ({ group_id: groupId, contact_id })))
      : insert
          // Positional: the query's contact_id first, then the group id it is given.
          .columns(['contact_id', 'group_id'])
          .expression(contacts.select(sql.val(groupId).as('group_id')) as unknown as Contacts)
  )
    .onConflict((oc) => oc.columns(['group_id', 'contact_id']).doNothing())
    .returning('contact_id')
    .execute();
  return added.length;
}

/** False when the contact was not a member. */
export async function removeMember(db: Db, groupId: string, contactId: string): Promise<boolean> {
  const removed = await db
    .deleteFrom('group_members')
    .where('group_id', '=', groupId)
    .where('contact_id', '=', contactId)
    .executeTakeFirst();
  return removed.numDeletedRows > 0n;
}

/** Numeric order of bigint ids kept as decimal strings (no leading zeros). */
const byId = (a: string, b: string) => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
