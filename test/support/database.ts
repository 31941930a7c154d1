/** A fresh, migrated database for one test file, on the server global setup started. */
import { randomBytes } from 'node:crypto';
import { createDb, type Db, dropDatabase, ensureDatabase, withDatabase } from '../../db/connection';
import { migrateToLatest } from '../../db/migrate';

export type TestDatabase = { db: Db; url: string; name: string; drop(): Promise<void> };

export function serverUrl(): string {
  const url = process.env.TEST_DATABASE_SERVER_URL;
  if (!url) throw new Error('TEST_DATABASE_SERVER_URL is not set: run the tests with `npm test`');
  return url;
}

export async function createTestDatabase(opts: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const name = `test_${randomBytes(6).toString('hex')}`;
  await ensureDatabase(serverUrl(), name);
  const url = withDatabase(serverUrl(), name);
  const db = createDb(url);
  if (opts.migrate ?? true) await migrateToLatest(db);
  return {
    db,
    url,
    name,
    drop: async () => {
      await db.destroy();
      await dropDatabase(serverUrl(), name);
    },
  };
}
