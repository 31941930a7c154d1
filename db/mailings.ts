/**
 * Mailings: a draft with its groups, its send (status and workflow), and the fan-out's bookkeeping
 * (recipients frozen at send, deliveries started, done).
 */
import { sql } from 'kysely';
import type { Db } from './connection';
import type { RecipientSource } from './deliveries';
import { keysetPage, type Page } from './page';
import type { MailingStatus } from './schema';

function selectMailings(db: Db, accountId: string) {
  return db
    .selectFrom('mailings as m')
    .selectAll('m')
    .select(
      sql<string[]>`coalesce((select array_agg(mg.group_id::text order by mg.group_id)
        from mailing_groups mg where mg.mailing_id = m.id), '{}')`.as('group_ids'),
    )
    .where('m.account_id', '=', accountId);
}
export type MailingRow = Awaited<ReturnType<ReturnType<typeof selectMailings>['executeTakeFirstOrThrow']>>;

export function get(db: Db, accountId: string, id: string): Promise<MailingRow | undefined> {
  return selectMailings(db, accountId).where('m.id', '=', id).executeTakeFirst();
}

export function list(db: Db, accountId: string, page: Page): Promise<MailingRow[]> {
  return keysetPage(selectMailings(db, accountId), 'm.id', page);
}

/** The mailing's status and From address, when the account has it. */
export function statusOf(db: Db, accountId: string, id: string) {
  return db
    .selectFrom('mailings')
    .select(['id', 'status', 'from_email', 'recipients_total', 'sent_at'])
    .where('id', '=', id)
    .where('account_id', '=', accountId)
    .executeTakeFirst();
}

export type NewMailing = {
  name: string;
  from_email: string;
  from_name: string | null;
  subject: string;
  text_body: string | null;
  html_body: string | null;
};

/** A draft to these groups (they must be the account's: see groups.existing). */
export async function create(trx: Db, accountId: string, m: NewMailing, groupIds: string[]): Promise<string> {
  const { id } = await trx
    .insertInto('mailings')
    .values({ account_id: accountId, ...m })
    .returning('id')
    .executeTakeFirstOrThrow();
  await trx
    .insertInto('mailing_groups')
    .values(groupIds.map((group_id) => ({ mailing_id: id, group_id })))
    .execute();
  return id;
}

/**
 * Draft → sending, in the caller's transaction; false when it is not a draft of the account.
 *
 * Also a mailing left `sending` by a send whose start was lost with the database: its start failed
 * and the database, down too, could not take it back to draft (`backToDraft`), so no workflow took
 * its recipients. Once `stuckAfterMs` have passed since that send (its start had given up long
 * before), a new send takes it again, with a new `sent_at`: its start finds the workflow if there is
 * one after all (the start's conflict policy), or starts it. Before that, a second send finds it
 * sending and is a conflict.
 */
export async function markSending(
  trx: Db,
  accountId: string,
  id: string,
  workflowId: string,
  stuckAfterMs: number,
) {
  const row = await trx
    .updateTable('mailings')
    // The clock's time, not the transaction's start (that may be long before, behind lock waits), in
    // whole milliseconds: a JavaScript Date gives it back exactly to backToDraft.
    .set({
      status: 'sending',
      sent_at: sql<Date>`date_trunc('milliseconds', clock_timestamp())`,
      workflow_id: workflowId,
    })
    .where('id', '=', id)
    .where('account_id', '=', accountId)
    .where((eb) =>
      eb.or([
        eb('status', '=', 'draft'),
        eb.and([
          eb('status', '=', 'sending'),
          eb('recipients_total', 'is', null),
          eb('sent_at', '<', sql<Date>`clock_timestamp() - make_interval(secs => ${stuckAfterMs / 1000})`),
        ]),
      ]),
    )
    .returning('sent_at')
    .executeTakeFirst();
  // This send's own mark: only its own undo (backToDraft) may take the mailing back.
  return row?.sent_at ?? undefined;
}

/** The account a mailing belongs to, when it exists. */
export async function accountOf(db: Db, id: string): Promise<string | undefined> {
  const row = await db.selectFrom('mailings').select('account_id').where('id', '=', id).executeTakeFirst();
  return row?.account_id;
}

/**
 * Undoes a send whose workflow start failed: sending → draft, but only while no workflow has taken
 * the recipients (`recipients_total` is set by the workflow's first step, under the row's lock, after
 * it has checked the status). So either this runs first and a workflow that did start after all finds
 * a draft and ends without sending (MailingNotSending), or the workflow was first and this changes
 * nothing: false, the mailing is being sent. A second send cannot slip in between: it finds `sending`
 * (and one that takes the mailing again after a lost start gives it a new `sent_at`: false too).
 */
export async function backToDraft(db: Db, accountId: string, id: string, sentAt: Date): Promise<boolean> {
  const row = await db
    .updateTable('mailings')
    .set({ status: 'draft', sent_at: null, workflow_id: null })
    .where('id', '=', id)
    .where('account_id', '=', accountId)
    .where('status', '=', 'sending')
    .where('recipients_total', 'is', null)
    // Still this send's: a later send that took the mailing again is not undone by this one.
    .where('sent_at', '=', sentAt)
    .returning('id')
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * What a message is made of: read by the send activity. With it, the DKIM key of the From address's
 * domain (null columns when the account has no such sending domain), still sealed.
 */
export function content(db: Db, id: string) {
  return db
    .selectFrom('mailings as m')
    .leftJoin('sending_domains as d', (j) =>
      j
        .onRef('d.account_id', '=', 'm.account_id')
        .on('d.domain', '=', sql<string>`split_part(m.from_email, '@', 2)`),
    )
    .select(['m.account_id', 'm.from_email', 'm.from_name', 'm.subject', 'm.text_body', 'm.html_body'])
    .select(['d.domain as dkim_domain', 'd.dkim_selector', 'd.dkim_public_key', 'd.dkim_private_key_sealed'])
    .where('m.id', '=', id)
    .executeTakeFirst();
}
export type MailingContent = NonNullable<Awaited<ReturnType<typeof content>>>;

/** The fan-out's view of a mailing, locked: its status and whether its recipients are frozen yet. */
export function lockForSnapshot(trx: Db, id: string) {
  return trx
    .selectFrom('mailings')
    .select(['account_id', 'status', 'recipients_total'])
    .where('id', '=', id)
    .forUpdate()
    .executeTakeFirst();
}

/**
 * The distinct mailboxes among the active contacts of the mailing's groups, as rows for
 * createDeliveries: one contact per key (the same mailbox spelled twice is sent once), the key's
 * owner when it is among them, else the first by id.
 */
export function recipientsOf(db: Db, mailingId: string, accountId: string): RecipientSource {
  const oneContactPerKey = db
    .selectFrom('mailing_groups as mg')
    .innerJoin('group_members as gm', 'gm.group_id', 'mg.group_id')
    .innerJoin('contacts as c', 'c.id', 'gm.contact_id')
    .distinctOn('c.email_key')
    .select(['c.account_id', 'mg.mailing_id', 'c.id as contact_id', 'c.email', 'c.email_key'])
    .where('mg.mailing_id', '=', mailingId)
    .where('c.status', '=', 'active')
    .where('c.account_id', '=', accountId)
    .orderBy('c.email_key')
    .orderBy(sql`c.duplicate_of is not null`)
    .orderBy('c.id');
  // Deliveries are created (and later started) in the order of their contacts.
  return db
    .selectFrom(oneContactPerKey.as('r'))
    .selectAll()
    .orderBy('r.contact_id') as unknown as RecipientSource;
}

export async function setRecipientsTotal(trx: Db, id: string, total: number): Promise<void> {
  await trx.updateTable('mailings').set({ recipients_total: total }).where('id', '=', id).execute();
}

/** Absolute, never decreasing: a retried batch writes the same number again. */
export async function setDeliveriesStarted(db: Db, id: string, started: number): Promise<void> {
  await db
    .updateTable('mailings')
    .set({ deliveries_started: started })
    .where('id', '=', id)
    .where('deliveries_started', '<', started)
    .execute();
}

export function progressOf(db: Db, id: string) {
  return db
    .selectFrom('mailings')
    .select(['status', 'recipients_total'])
    .where('id', '=', id)
    .executeTakeFirstOrThrow();
}

export async function markDone(db: Db, id: string): Promise<void> {
  await db
    .updateTable('mailings')
    .set({ status: 'done' as MailingStatus, done_at: sql<Date>`now()` })
    .where('id', '=', id)
    .where('status', '=', 'sending')
    .execute();
}
