/**
 * `npm run --silent create-account -- <name>`: a new account and its first API key, printed alone on
 * one line (scripts capture it). Uses DATABASE_URL, or the database of a running `npm start`.
 */
import { loadConfigOrExit, redactUrl } from '../runtime/config';
import { runMain } from '../runtime/run-main';
import { createAccount } from './accounts';
import { createDb, isUniqueViolation, withDatabase } from './connection';
import { embeddedServerUrl } from './embedded';
import { migrateToLatest } from './migrate';

async function main(): Promise<void> {
  const name = process.argv[2]?.trim();
  if (!name || process.argv.length > 3 || name.length > 200)
    throw new Error('usage: npm run --silent create-account -- <name>   (one name, at most 200 characters)');
  const config = loadConfigOrExit();
  const url =
    config.DATABASE_URL ?? withDatabase(embeddedServerUrl(config.EMBEDDED_POSTGRES_PORT), 'deliverability');
  const db = createDb(url, { maxConnections: 1 });
  try {
    await migrateToLatest(db);
    const { key } = await createAccount(db, name);
    console.log(key);
  } catch (err) {
    if (isUniqueViolation(err)) throw new Error(`An account named "${name}" already exists.`);
    if ((err as { code?: string }).code === 'ECONNREFUSED')
      throw new Error(`No database at ${redactUrl(url)}: start the service (npm start) or set DATABASE_URL.`);
    throw err;
  } finally {
    await db.destroy();
  }
}

runMain(main);
