/**
 * Migration 2026_11_29_0003_email_key on a database that holds what the old code let in: the same
 * mailbox spelled several ways in one account, and a mailing that sent to each spelling.
 */
import { sql } from 'kysely';
import { resolveRecipients } from '../activities/mailing';
import * as contacts from '../db/contacts';
import { migrateTo, migrateToLatest } from '../db/migrate';
import { createTestDatabase, type TestDatabase } from './support/database';

const BEFORE = '2026_11_29_0001_delivery_workflow_id_derived';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase({ migrate: false });
  await migrateTo(t.db, BEFORE);
});
afterAll(async () => {
  await t?.drop();
});

/** A row as the old schema takes it (it has no key yet): raw SQL. */
const values = (table: string, row: Record<string, string>) =>
  sql`insert into ${sql.table(table)} (${sql.join(Object.keys(row).map((c) => sql.ref(c)))})
    values (${sql.join(Object.values(row))})`;
async function insert(table: string, row: Record<string, string>): Promise<string> {
  const { rows } = await sql<{ id: string }>`${values(table, row)} returning id`.execute(t.db);
  return rows[0]!.id;
}
async function link(table: string, row: Record<string, string>): Promise<void> {
  await values(table, row).execute(t.db);
}

test('legacy duplicates: every row and email kept, one owner per key, the key unique from then on, one delivery per mailbox', async () => {
  const a = await insert('accounts', { name: 'a' });
  const b = await insert('accounts', { name: 'b' });
  const legacy = [
    // The same mailbox three ways, the one that no longer passes the check first by id.
    'dup@ok.test\u200b',
    'dup@ｏｋ.test',
    'dup@ok.test',
    // Letter case alone: both spelled as the check stores them, so the first owns the key.
    'Ann@ok.test',
    'ann@ok.test',
    // A Unicode domain as the old check stored it.
    'solo@bücher.example',
  ];
  const ids: string[] = [];
  for (const email of legacy) ids.push(await insert('contacts', { account_id: a, email }));
  const [zwsp, fullWidth, plain, ann, annLower, solo] = ids as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  const otherAccount = await insert('contacts', { account_id: b, email: 'dup@ok.test' });
  const group = await insert('groups', { account_id: a, name: 'all' });
  for (const id of ids) await link('group_members', { group_id: group, contact_id: id });
  // The old fan-out sent this mailing to every spelling.
  const sent = await insert('mailings', {
    account_id: a,
    name: 'old',
    from_email: 'n@s.example',
    subject: 's',
  });
  const oldDeliveries: string[] = [];
  for (const [i, id] of ids.entries())
    oldDeliveries.push(
      await insert('deliveries', { account_id: a, mailing_id: sent, contact_id: id, email: legacy[i]! }),
    );

  expect(await migrateToLatest(t.db)).toContain('2026_11_29_0003_email_key');

  const rows = await t.db
    .selectFrom('contacts')
    .select(['id', 'email', 'email_key', 'duplicate_of'])
    .orderBy('id')
    .execute();
  expect(rows).toEqual([
    { id: zwsp, email: 'dup@ok.test\u200b', email_key: 'dup@ok.test', duplicate_of: plain },
    { id: fullWidth, email: 'dup@ｏｋ.test', email_key: 'dup@ok.test', duplicate_of: plain },
    { id: plain, email: 'dup@ok.test', email_key: 'dup@ok.test', duplicate_of: null },
    { id: ann, email: 'Ann@ok.test', email_key: 'ann@ok.test', duplicate_of: null },
    { id: annLower, email: 'ann@ok.test', email_key: 'ann@ok.test', duplicate_of: ann },
    { id: solo, email: 'solo@bücher.example', email_key: 'solo@xn--bcher-kva.example', duplicate_of: null },
    { id: otherAccount, email: 'dup@ok.test', email_key: 'dup@ok.test', duplicate_of: null },
  ]);
  const delivered = await t.db
    .selectFrom('deliveries')
    .select(['id', 'email', 'email_key', 'duplicate_of'])
    .where('mailing_id', '=', sent)
    .orderBy('id')
    .execute();
  expect(delivered.map((d) => [d.email_key, d.duplicate_of])).toEqual([
    ['dup@ok.test', null],
    ['dup@ok.test', oldDeliveries[0]],
    ['dup@ok.test', oldDeliveries[0]],
    ['ann@ok.test', null],
    ['ann@ok.test', oldDeliveries[3]],
    ['solo@xn--bcher-kva.example', null],
  ]);
  expect(delivered.map((d) => d.email)).toEqual(legacy);

  // From now on a key is one contact per account, whatever the spelling.
  const none = { first_name: null, last_name: null };
  expect(await contacts.create(t.db, a, { email: 'DUP@ok.test', ...none })).toBeUndefined();
  expect(await contacts.create(t.db, a, { email: 'ann@ok.test', ...none })).toBeUndefined();
  expect(await contacts.create(t.db, a, { email: 'solo@xn--bcher-kva.example', ...none })).toBeUndefined();
  expect(await contacts.create(t.db, b, { email: 'ann@ok.test', ...none })).toEqual(expect.any(String));

  // A new mailing to the group: one delivery per mailbox, to the owner's spelling.
  const next = await insert('mailings', {
    account_id: a,
    name: 'new',
    from_email: 'n@s.example',
    subject: 's',
    status: 'sending',
  });
  await link('mailing_groups', { mailing_id: next, group_id: group });
  expect(await resolveRecipients(t.db, { mailingId: next })).toEqual({ total: 3 });
  const fresh = await t.db
    .selectFrom('deliveries')
    .select(['contact_id', 'email'])
    .where('mailing_id', '=', next)
    .orderBy('contact_id')
    .execute();
  expect(fresh).toEqual([
    { contact_id: plain, email: 'dup@ok.test' },
    { contact_id: ann, email: 'Ann@ok.test' },
    { contact_id: solo, email: 'solo@bücher.example' },
  ]);

  // Down keeps every row and brings back uniqueness by email as written.
  await migrateTo(t.db, BEFORE);
  const { rows: after } = await sql<{ n: string }>`select count(*) as n from contacts`.execute(t.db);
  expect(Number(after[0]!.n)).toBe(legacy.length + 2);
  await expect(insert('contacts', { account_id: a, email: 'dup@ok.test' })).rejects.toThrow(/unique/);
});
