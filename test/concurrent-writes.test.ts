/**
 * Two requests writing the same rows at once wait for each other instead of deadlocking: group
 * members and imported contacts are inserted in one order (ids, keys) whatever the order of the
 * request. A deadlock would roll one of them back (the API answers it with a 503 to send again).
 */
import { createAccount } from '../db/accounts';
import * as contacts from '../db/contacts';
import * as groups from '../db/groups';
import { createTestDatabase, type TestDatabase } from './support/database';

let t: TestDatabase;
let accountId: string;
beforeAll(async () => {
  t = await createTestDatabase();
  ({ id: accountId } = await createAccount(t.db, 'concurrent writes'));
});
afterAll(async () => {
  await t?.drop();
});

const N = 3_000;
const emails = Array.from({ length: N }, (_, i) => `c${i}@ok.test`);
const ROUNDS = 3;

test('two additions of the same contacts to a group, in opposite orders, both succeed', async () => {
  await contacts.importBatch(
    t.db,
    accountId,
    emails.map((email) => ({ email, first_name: null, last_name: null })),
    undefined,
  );
  const ids = (
    await t.db.selectFrom('contacts').select('id').where('account_id', '=', accountId).execute()
  ).map((r) => r.id);
  expect(ids).toHaveLength(N);
  for (let round = 0; round < ROUNDS; round++) {
    const group = await groups.create(t.db, accountId, `round ${round}`);
    const add = (order: string[]) =>
      t.db.transaction().execute((trx) => groups.addMembers(trx, group, order));
    const [a, b] = await Promise.all([add(ids), add([...ids].reverse())]);
    expect(a + b).toBe(N); // each member added once, by one of them
  }
});

test('two imports of the same mailboxes into a group, in opposite orders, both succeed', async () => {
  for (let round = 0; round < ROUNDS; round++) {
    const group = await groups.create(t.db, accountId, `import ${round}`);
    const batch = emails.map((e) => ({
      email: e.replace('@', `.${round}@`),
      first_name: null,
      last_name: null,
    }));
    const run = (order: typeof batch) =>
      t.db.transaction().execute((trx) => contacts.importBatch(trx, accountId, order, group));
    const [a, b] = await Promise.all([run(batch), run([...batch].reverse())]);
    expect(a + b).toBe(N);
    const members = await t.db
      .selectFrom('group_members')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('group_id', '=', group)
      .executeTakeFirstOrThrow();
    expect(Number(members.n)).toBe(N);
  }
});
