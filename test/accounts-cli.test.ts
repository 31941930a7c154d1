/** `npm run --silent create-account -- <name>`: the key alone on one line, and clear refusals. */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { accountForKey, ensureAccountWithKey, newApiKey } from '../db/accounts';
import { createTestDatabase, type TestDatabase } from './support/database';

const run = promisify(execFile);
const root = path.join(__dirname, '..');
let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t?.drop();
});

function createAccount(...args: string[]) {
  return run(process.execPath, ['--import', 'tsx', 'db/create-account-cli.ts', ...args], {
    cwd: root,
    env: { ...process.env, DATABASE_URL: t.url },
  }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({
      code: e.code,
      stdout: e.stdout,
      stderr: e.stderr,
    }),
  );
}

test('a new account: its key alone on one line, and the key opens that account', async () => {
  const r = await createAccount('acme');
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/^dk_[A-Za-z0-9_-]{43}\n$/);
  const id = await accountForKey(t.db, r.stdout.trim());
  const acct = await t.db.selectFrom('accounts').select('name').where('id', '=', id!).executeTakeFirst();
  expect(acct?.name).toBe('acme');
  const stored = await t.db.selectFrom('api_keys').select('key_hash').execute();
  expect(stored.map((k) => k.key_hash)).not.toContain(r.stdout.trim()); // only the hash is kept
});

test('a taken name or a missing name: exit 1 with a sentence, nothing printed on stdout', async () => {
  const taken = await createAccount('acme');
  expect(taken).toMatchObject({ code: 1, stdout: '' });
  expect(taken.stderr).toContain('already exists');
  const missing = await createAccount();
  expect(missing).toMatchObject({ code: 1, stdout: '' });
  expect(missing.stderr).toContain('usage');
});

test('the dev account of npm start: its key opens it across restarts, and a replaced key stops opening it', async () => {
  const first = newApiKey();
  const id = await ensureAccountWithKey(t.db, 'dev-restarts', first);
  expect(await ensureAccountWithKey(t.db, 'dev-restarts', first)).toBe(id);
  expect(await accountForKey(t.db, first)).toBe(id);
  const second = newApiKey();
  await ensureAccountWithKey(t.db, 'dev-restarts', second);
  expect(await accountForKey(t.db, second)).toBe(id);
  expect(await accountForKey(t.db, first)).toBeUndefined();
  await ensureAccountWithKey(t.db, 'dev-restarts', first);
  expect(await accountForKey(t.db, first)).toBe(id);
  expect(await accountForKey(t.db, second)).toBeUndefined();
});
