/** `npm run migrate`: brings DATABASE_URL's schema to the latest version (the compose `migrate` job). */
import { loadConfigOrExit } from '../runtime/config';
import { createDb } from './connection';
import { migrateToLatest } from './migrate';
import { runMain } from '../runtime/run-main';

async function main(): Promise<void> {
  const config = loadConfigOrExit(['DATABASE_URL']);
  const db = createDb(config.DATABASE_URL!, { maxConnections: 1 });
  try {
    const ran = await migrateToLatest(db);
    console.log(ran.length ? `Migrations applied: ${ran.join(', ')}` : 'Database schema is up to date');
  } finally {
    await db.destroy();
  }
}

runMain(main);
