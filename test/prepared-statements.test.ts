import { sql } from 'kysely';
import { createAccount } from '../db/accounts';
import { createDb, type Db } from '../db/connection';
import * as counters from '../db/counters';
import { prepared } from '../db/prepared';
import { seedMailing } from '../dev/seed';
import { createTestDatabase, type TestDatabase } from './support/database';

let t: TestDatabase;
// One connection: prepared statements belong to a session, and this test reads that session's.
let db: Db;
beforeAll(async () => {
  t = await createTestDatabase();
  db = createDb(t.url, { maxConnections: 1 });
});
afterAll(async () => {
  await db?.destroy();
  await t?.drop();
});

async function statements(): Promise<{ name: string; statement: string }[]> {
  const { rows } = await sql<{ name: string; statement: string }>`
    select name, statement from pg_prepared_statements order by name`.execute(db);
  return rows;
}

describe('prepared statements', () => {
  it('when the statistics are read again and again, then the session parses their query once, under its name, and answers the same', async () => {
    const { id: accountId } = await createAccount(db, 'prepared');
    const { mailingId } = await seedMailing(db, accountId, { 'ok.test': 3 });
    await counters.bump(db, mailingId, '1', { total: 3, delivered: 2 });
    await counters.countReason(db, mailingId, '1', 'accepted', 2);

    const answers = [];
    for (let i = 0; i < 7; i++) answers.push(await counters.statistics(db, accountId, mailingId));
    expect(answers[0]).toMatchObject({ total: 3, delivered: 2, inProgress: 1, byReason: { accepted: 2 } });
    for (const a of answers) expect(a).toEqual(answers[0]);
    // Another account's read of the same mailing uses the same statement and finds nothing.
    expect(await counters.statistics(db, '999999', mailingId)).toBeUndefined();

    const found = await statements();
    expect(found).toHaveLength(1); // the unmarked queries above went as plain text
    expect(found[0]!.name).toMatch(/^mailing_statistics_[0-9a-f]{12}$/);
    expect(found[0]!.statement).toContain('/* prepared:mailing_statistics */');
  });

  it('when two different texts carry one marker, then they become two statements, not an error', async () => {
    const one = () => db.selectFrom('mailings').modifyFront(prepared('probe')).select('id').execute();
    const two = () =>
      db.selectFrom('mailings').modifyFront(prepared('probe')).select(['id', 'name']).execute();
    await one();
    await two();
    await one();
    expect((await statements()).filter((s) => s.name.startsWith('probe_'))).toHaveLength(2);
  });

  it('when a marker name is not 1 to 40 lower-case letters and underscores, then it is refused', () => {
    expect(() => prepared('x */ drop table mailings; /*')).toThrow(/names are/);
    expect(() => prepared('a'.repeat(41))).toThrow(/names are/);
  });

  it('when a migration changes what the statement returns, then the read still answers, and the connection is replaced', async () => {
    const { id: accountId } = await createAccount(db, 'migrated');
    const { mailingId } = await seedMailing(db, accountId, { 'ok.test': 2 });
    await counters.bump(db, mailingId, '1', { total: 2, retrying: 1 });
    const before = await counters.statistics(db, accountId, mailingId);
    const pid = async () =>
      (await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(db)).rows[0]!.pid;
    const first = await pid();

    // sum(integer) is bigint, sum(bigint) numeric: the prepared plan's result type no longer holds.
    await sql`alter table mailing_counters alter column retrying type bigint`.execute(db);
    expect(await counters.statistics(db, accountId, mailingId)).toEqual(before);
    const second = await pid();
    expect(second).not.toBe(first);
    expect(await counters.statistics(db, accountId, mailingId)).toEqual(before);
    expect((await statements()).map((s) => s.name)).toEqual([expect.stringMatching(/^mailing_statistics_/)]);
    expect(await pid()).toBe(second);
  });
});
