import { sql } from 'kysely';
import { migrateDownToEmpty, migrateToLatest } from '../db/migrate';
import { createTestDatabase, type TestDatabase } from './support/database';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase({ migrate: false });
});
afterAll(async () => {
  await t?.drop();
});

async function tables(): Promise<string[]> {
  const { rows } = await sql<{ table_name: string }>`
    select table_name from information_schema.tables
    where table_schema = 'public' and table_name not like 'kysely_%' order by table_name`.execute(t.db);
  return rows.map((r) => r.table_name);
}

describe('migrations', () => {
  it('when run on an empty database, then they create the data model; when undone, they leave it empty', async () => {
    expect(await tables()).toEqual([]);

    const ran = await migrateToLatest(t.db);
    expect(ran).toEqual([
      '2026_11_27_0001_initial',
      '2026_11_29_0001_delivery_workflow_id_derived',
      '2026_11_29_0002_delivery_acceptances',
      '2026_11_29_0003_email_key',
      '2026_11_29_0004_late_reports',
      '2026_11_29_0005_sending_domains',
      '2026_11_30_0001_contact_search',
    ]);
    expect(await tables()).toEqual([
      'accounts',
      'api_keys',
      'contacts',
      'deliveries',
      'delivery_acceptances',
      'delivery_attempts',
      'group_members',
      'groups',
      'late_reports',
      'mailing_counters',
      'mailing_groups',
      'mailing_reason_counters',
      'mailings',
      'removed_group_members',
      'sending_domains',
    ]);
    // Running again changes nothing.
    expect(await migrateToLatest(t.db)).toEqual([]);

    expect(await migrateDownToEmpty(t.db)).toEqual([
      '2026_11_30_0001_contact_search',
      '2026_11_29_0005_sending_domains',
      '2026_11_29_0004_late_reports',
      '2026_11_29_0003_email_key',
      '2026_11_29_0002_delivery_acceptances',
      '2026_11_29_0001_delivery_workflow_id_derived',
      '2026_11_27_0001_initial',
    ]);
    expect(await tables()).toEqual([]);
  });

  it('when a contact is written with an unknown status, then the database refuses it', async () => {
    await migrateToLatest(t.db);
    const { id } = await t.db
      .insertInto('accounts')
      .values({ name: 'acme' })
      .returning('id')
      .executeTakeFirstOrThrow();
    await expect(
      sql`insert into contacts (account_id, email, email_key, status) values (${id}, 'a@b.example', 'a@b.example', 'deleted')`.execute(
        t.db,
      ),
    ).rejects.toThrow(/check constraint/);
  });
});
