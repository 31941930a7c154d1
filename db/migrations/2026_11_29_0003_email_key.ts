import { type Kysely, sql } from 'kysely';
import { checkEmail, emailKey } from '../../domain/address';

/**
 * One mailbox, one key (domain/address.ts `emailKey`: local part in NFC and lower case, domain in
 * its ASCII form by IDNA). Contacts are unique per (account, key), no longer per (account, email) as
 * written; deliveries unique per (mailing, key) as well as per (mailing, contact).
 *
 * Backfill: the keys are computed here, in TypeScript (PostgreSQL has no IDNA), page by page, and
 * nothing is deleted or rewritten. Rows that already share a key (the same mailbox spelled two ways,
 * e.g. `ann@ok.test` and `Ann@ｏｋ.test`) all stay, emails as written: one of them owns the key and
 * the others point at it in `duplicate_of`; the unique indexes cover only the owners
 * (`duplicate_of is null`), so the backfill cannot fail on them, and new rows can never add one. The
 * owner among contacts is the first by id whose email is spelled as the check stores it today, else
 * the first valid one, else the first; among deliveries, the first by id.
 *
 * Any later change to the key's definition needs a migration of its own that recomputes the keys.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations must not depend on today's schema types
export async function up(db: Kysely<any>): Promise<void> {
  for (const table of ['contacts', 'deliveries'] as const) {
    await db.schema
      .alterTable(table)
      .addColumn('email_key', 'text')
      .addColumn('duplicate_of', 'bigint')
      .execute();
    await backfill(db, table);
    await db.schema
      .alterTable(table)
      .alterColumn('email_key', (c) => c.setNotNull())
      .execute();
  }
  await db.schema.alterTable('contacts').dropConstraint('contacts_account_email_key').execute();
  await db.schema
    .createIndex('contacts_account_email_key_unique')
    .on('contacts')
    .columns(['account_id', 'email_key'])
    .unique()
    .where(sql.ref('duplicate_of'), 'is', null)
    .execute();
  await db.schema
    .createIndex('deliveries_mailing_email_key_unique')
    .on('deliveries')
    .columns(['mailing_id', 'email_key'])
    .unique()
    .where(sql.ref('duplicate_of'), 'is', null)
    .execute();
}

const PAGE = 10_000;

/**
 * How well a stored email is spelled, to choose a key's owner: 0 as the check stores it today,
 * 1 valid but spelled otherwise (a Unicode domain, NFD), 2 refused today (an invisible character).
 */
function spelling(email: string): number {
  const checked = checkEmail(email);
  return !checked.ok ? 2 : checked.email === email ? 0 : 1;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see up()
async function backfill(db: Kysely<any>, table: 'contacts' | 'deliveries'): Promise<void> {
  await sql`create temporary table email_keys
    (id bigint primary key, email_key text not null, spelling smallint not null)`.execute(db);
  for (let after = '0'; ;) {
    const rows = (await db
      .selectFrom(table)
      .select(['id', 'email'])
      .where('id', '>', after)
      .orderBy('id')
      .limit(PAGE)
      .execute()) as Array<{ id: string; email: string }>;
    if (rows.length === 0) break;
    await sql`insert into email_keys (id, email_key, spelling)
      select * from unnest(${rows.map((r) => r.id)}::bigint[], ${rows.map((r) => emailKey(r.email))}::text[],
                           ${rows.map((r) => spelling(r.email))}::smallint[])`.execute(db);
    after = rows.at(-1)!.id;
  }
  const t = sql.table(table);
  await sql`update ${t} t set email_key = k.email_key from email_keys k where k.id = t.id`.execute(db);
  const owner =
    table === 'contacts'
      ? sql`first_value(t.id) over (partition by t.account_id, t.email_key order by k.spelling, t.id)`
      : sql`first_value(t.id) over (partition by t.mailing_id, t.email_key order by t.id)`;
  await sql`update ${t} t set duplicate_of = d.owner
    from (select t.id, ${owner} as owner from ${t} t join email_keys k on k.id = t.id) d
    where d.id = t.id and d.owner <> t.id`.execute(db);
  await sql`drop table email_keys`.execute(db);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see up()
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('deliveries_mailing_email_key_unique').execute();
  await db.schema.dropIndex('contacts_account_email_key_unique').execute();
  for (const table of ['contacts', 'deliveries']) {
    await db.schema.alterTable(table).dropColumn('email_key').dropColumn('duplicate_of').execute();
  }
  await db.schema
    .alterTable('contacts')
    .addUniqueConstraint('contacts_account_email_key', ['account_id', 'email'])
    .execute();
}
