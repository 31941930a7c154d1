/**
 * Contacts: the account's addresses, their status (`active` or `incorrect`: the "Incorrect
 * addresses" section) and the groups a hard bounce took them out of, remembered for a correction.
 */
import { type OnConflictBuilder, sql } from 'kysely';
import { emailKey } from '../domain/address';
import type { ContactStatus, Database } from './schema';
import type { Db } from './connection';
import { keysetPage, type Page } from './page';

/** A contact with the ids of its groups: what every reader of contacts gets. */
function selectContacts(db: Db, accountId: string) {
  return db
    .selectFrom('contacts as c')
    .select([
      'c.id',
      'c.email',
      'c.first_name',
      'c.last_name',
      'c.status',
      'c.incorrect_reason',
      'c.incorrect_since',
      'c.created_at',
      sql<string[]>`coalesce((select array_agg(gm.group_id::text order by gm.group_id)
        from group_members gm where gm.contact_id = c.id), '{}')`.as('group_ids'),
    ])
    .where('c.account_id', '=', accountId);
}
export type ContactRow = Awaited<ReturnType<ReturnType<typeof selectContacts>['executeTakeFirstOrThrow']>>;

export function get(db: Db, accountId: string, id: string): Promise<ContactRow | undefined> {
  return selectContacts(db, accountId).where('c.id', '=', id).executeTakeFirst();
}

export function list(
  db: Db,
  accountId: string,
  filter: { status?: ContactStatus | undefined; groupId?: string | undefined; search?: string | undefined },
  page: Page,
): Promise<ContactRow[]> {
  let q = selectContacts(db, accountId);
  if (filter.status) q = q.where('c.status', '=', filter.status);
  if (filter.search) {
    // A part of the address or of a name, any letter case; its own % _ \ are letters, not wildcards.
    const pattern = `%${filter.search.replace(/[\\%_]/g, '\\$&')}%`;
    q = q.where((eb) =>
      eb.or([
        eb('c.email', 'ilike', pattern),
        eb('c.first_name', 'ilike', pattern),
        eb('c.last_name', 'ilike', pattern),
      ]),
    );
  }
  const { groupId } = filter;
  if (groupId !== undefined)
    q = q.where((eb) =>
      eb.exists(
        eb
          .selectFrom('group_members as m')
          .select('m.contact_id')
          .whereRef('m.contact_id', '=', 'c.id')
          .where('m.group_id', '=', groupId),
      ),
    );
  return keysetPage(q, 'c.id', page);
}

/** `email` as domain/address.ts checkEmail stores it; its key is derived here, on every write. */
export type NewContact = { email: string; first_name: string | null; last_name: string | null };

const newRow = (accountId: string, c: NewContact) => ({
  account_id: accountId,
  ...c,
  email_key: emailKey(c.email),
});

/**
 * The account's one contact per mailbox: unique per (account, key) among the rows that own their key
 * (the others are duplicates kept from before keys existed, see migration 2026_12_01).
 */
const sameMailbox = (oc: OnConflictBuilder<Database, 'contacts'>) =>
  oc.columns(['account_id', 'email_key']).where('duplicate_of', 'is', null);

/** Creates the contact; undefined when the account already has that mailbox (the same key). */
export async function create(db: Db, accountId: string, c: NewContact): Promise<string | undefined> {
  const row = await db
    .insertInto('contacts')
    .values(newRow(accountId, c))
    .onConflict((oc) => sameMailbox(oc).doNothing())
    .returning('id')
    .executeTakeFirst();
  return row?.id;
}

/**
 * One batch of an import, in the caller's transaction: new mailboxes are created (the first spelling
 * of a key wins); with `groupId`, every active contact of the batch (new or existing, found by key)
 * joins the group. Returns how many were created.
 */
export async function importBatch(
  trx: Db,
  accountId: string,
  batch: NewContact[],
  groupId: string | undefined,
): Promise<number> {
  // In key order (a stable sort: the first spelling of a key stays first): two imports with
  // overlapping mailboxes then take their index locks in the same order, and one waits for the
  // other instead of both deadlocking.
  const rows = batch
    .map((c) => newRow(accountId, c))
    .sort((a, b) => (a.email_key < b.email_key ? -1 : a.email_key > b.email_key ? 1 : 0));
  const inserted = await trx
    .insertInto('contacts')
    .values(rows)
    .onConflict((oc) => sameMailbox(oc).doNothing())
    .returning('id')
    .execute();
  if (groupId !== undefined) {
    await trx
      .insertInto('group_members')
      .columns(['group_id', 'contact_id'])
      .expression((eb) =>
        eb
          .selectFrom('contacts')
          .select([eb.val(groupId).as('group_id'), 'id'])
          .where('account_id', '=', accountId)
          .where('status', '=', 'active')
          .where('duplicate_of', 'is', null)
          .where('email_key', '=', sql<string>`any(${rows.map((r) => r.email_key)}::text[])`)
          .orderBy('id'),
      )
      .onConflict((oc) => oc.columns(['group_id', 'contact_id']).doNothing())
      .execute();
  }
  return inserted.length;
}

/** The contact's email, its key and status, locked for the rest of the transaction. */
export function lock(trx: Db, accountId: string, id: string) {
  return trx
    .selectFrom('contacts')
    .select(['email', 'email_key', 'status'])
    .where('id', '=', id)
    .where('account_id', '=', accountId)
    .forUpdate()
    .executeTakeFirst();
}

/** Statuses of the account's contacts among `ids` (missing ones are not this account's). */
export function statuses(trx: Db, accountId: string, ids: string[]) {
  return trx
    .selectFrom('contacts')
    .select(['id', 'status'])
    .where('account_id', '=', accountId)
    .where('id', 'in', ids)
    .forShare()
    .execute();
}

/**
 * Changes a contact. A new mailbox (a new key: letter case alone is not one) for an incorrect contact
 * is a correction: the contact becomes active again and goes back into the groups a hard bounce took
 * it out of (those that still exist). A new email claims its key: the database's unique violation
 * when another contact has that key (see isUniqueViolation).
 */
export async function update(
  trx: Db,
  id: string,
  before: { email: string; email_key: string; status: ContactStatus },
  change: {
    email?: string | undefined;
    first_name?: string | null | undefined;
    last_name?: string | null | undefined;
    /** `active` takes an unsubscribed contact back (the account re-subscribes it). */
    status?: 'active' | undefined;
  },
): Promise<void> {
  const resubscribed = change.status === 'active' && before.status === 'unsubscribed';
  const email = change.email !== undefined && change.email !== before.email ? change.email : undefined;
  const key = email === undefined ? before.email_key : emailKey(email);
  const corrected = key !== before.email_key && before.status === 'incorrect';
  await trx
    .updateTable('contacts')
    .set({
      ...(email !== undefined && { email, email_key: key, duplicate_of: null }),
      ...(change.first_name !== undefined && { first_name: change.first_name }),
      ...(change.last_name !== undefined && { last_name: change.last_name }),
      ...(corrected && { status: 'active' as const, incorrect_reason: null, incorrect_since: null }),
      ...(resubscribed && { status: 'active' as const, unsubscribed_at: null, unsubscribed_reason: null }),
      updated_at: sql<Date>`now()`,
    })
    .where('id', '=', id)
    .execute();
  if (corrected) await restoreRemovedGroups(trx, id);
}

/**
 * A complaint or a one-click unsubscribe: the contact is never sent to again until the account sets
 * it back to active. An incorrect address stays incorrect. True when this call unsubscribed it.
 */
export async function unsubscribe(
  trx: Db,
  contactId: string,
  reason: 'complaint' | 'one_click',
): Promise<boolean> {
  const row = await trx
    .updateTable('contacts')
    .set({
      status: 'unsubscribed',
      unsubscribed_at: sql<Date>`now()`,
      unsubscribed_reason: reason,
      updated_at: sql<Date>`now()`,
    })
    .where('id', '=', contactId)
    .where('status', '=', 'active')
    .returning('id')
    .executeTakeFirst();
  return row !== undefined;
}

async function restoreRemovedGroups(trx: Db, contactId: string): Promise<void> {
  await trx
    .insertInto('group_members')
    .columns(['group_id', 'contact_id'])
    .expression((eb) =>
      eb
        .selectFrom('removed_group_members')
        .select(['group_id', 'contact_id'])
        .where('contact_id', '=', contactId),
    )
    .onConflict((oc) => oc.columns(['group_id', 'contact_id']).doNothing())
    .execute();
  await trx.deleteFrom('removed_group_members').where('contact_id', '=', contactId).execute();
}

/**
 * A hard bounce of the address with key `bouncedKey`: when it is still the contact's mailbox, the
 * contact goes to Incorrect addresses and leaves every group; the groups are remembered (with the
 * delivery that caused it) so that a correction puts it back. A contact corrected since (another key)
 * is left alone: false.
 */
export async function markIncorrect(
  trx: Db,
  contactId: string,
  bouncedKey: string,
  deliveryId: string,
  reason: string,
): Promise<boolean> {
  const marked = await trx
    .updateTable('contacts')
    .set({
      status: 'incorrect',
      incorrect_reason: reason,
      incorrect_since: sql<Date>`now()`,
      updated_at: sql<Date>`now()`,
    })
    .where('id', '=', contactId)
    .where('email_key', '=', bouncedKey)
    .returning('id')
    .executeTakeFirst();
  if (!marked) return false;
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
  return true;
}
