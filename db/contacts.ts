/**
 * Contacts: the account's addresses, their status (`active` or `incorrect`: the "Incorrect
 * addresses" section) and the groups a hard bounce took them out of, remembered for a correction.
 */
import { sql } from 'kysely';
import type { ContactStatus } from './schema';
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
  filter: { status?: ContactStatus | undefined; groupId?: string | undefined },
  page: Page,
): Promise<ContactRow[]> {
  let q = selectContacts(db, accountId);
  if (filter.status) q = q.where('c.status', '=', filter.status);
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

export type NewContact = { email: string; first_name: string | null; last_name: string | null };

/** Creates the contact; undefined when the account already has that email. */
export async function create(db: Db, accountId: string, c: NewContact): Promise<string | undefined> {
  const row = await db
    .insertInto('contacts')
    .values({ account_id: accountId, ...c })
    .onConflict((oc) => oc.columns(['account_id', 'email']).doNothing())
    .returning('id')
    .executeTakeFirst();
  return row?.id;
}

/**
 * One batch of an import, in the caller's transaction: new emails are created; with `groupId`, every
 * active contact of the batch (new or existing) joins the group. Returns how many were created.
 */
export async function importBatch(
  trx: Db,
  accountId: string,
  batch: NewContact[],
  groupId: string | undefined,
): Promise<number> {
  const inserted = await trx
    .insertInto('contacts')
    .values(batch.map((c) => ({ account_id: accountId, ...c })))
    .onConflict((oc) => oc.columns(['account_id', 'email']).doNothing())
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
          .where('email', '=', sql<string>`any(${batch.map((c) => c.email)}::text[])`),
      )
      .onConflict((oc) => oc.columns(['group_id', 'contact_id']).doNothing())
      .execute();
  }
  return inserted.length;
}

/** The contact's email and status, locked for the rest of the transaction. */
export function lock(trx: Db, accountId: string, id: string) {
  return trx
    .selectFrom('contacts')
    .select(['email', 'status'])
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
 * Changes a contact. A new email for an incorrect contact is a correction: the contact becomes
 * active again and goes back into the groups a hard bounce took it out of (those that still exist).
 * Throws the database's unique violation when the email is taken (see isUniqueViolation).
 */
export async function update(
  trx: Db,
  id: string,
  before: { email: string; status: ContactStatus },
  change: {
    email?: string | undefined;
    first_name?: string | null | undefined;
    last_name?: string | null | undefined;
  },
): Promise<void> {
  const corrected =
    change.email !== undefined && change.email !== before.email && before.status === 'incorrect';
  await trx
    .updateTable('contacts')
    .set({
      ...(change.email !== undefined && { email: change.email }),
      ...(change.first_name !== undefined && { first_name: change.first_name }),
      ...(change.last_name !== undefined && { last_name: change.last_name }),
      ...(corrected && { status: 'active' as const, incorrect_reason: null, incorrect_since: null }),
      updated_at: sql<Date>`now()`,
    })
    .where('id', '=', id)
    .execute();
  if (corrected) await restoreRemovedGroups(trx, id);
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
 * A hard bounce: the contact goes to Incorrect addresses and leaves every group; the groups are
 * remembered (with the delivery that caused it) so that a correction puts it back.
 */
export async function markIncorrect(
  trx: Db,
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
