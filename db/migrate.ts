import { Migrator, type Migration, type MigrationResultSet } from 'kysely';
import type { Db } from './connection';
import * as initial from './migrations/2026_11_27_0001_initial';
import * as derivedWorkflowId from './migrations/2026_11_29_0001_delivery_workflow_id_derived';
import * as acceptances from './migrations/2026_11_29_0002_delivery_acceptances';
import * as emailKey from './migrations/2026_11_29_0003_email_key';
import * as lateReports from './migrations/2026_11_29_0004_late_reports';
import * as sendingDomains from './migrations/2026_11_29_0005_sending_domains';
import * as contactSearch from './migrations/2026_11_30_0001_contact_search';

/**
 * Listed here rather than read from the folder: the migrations then travel with the code whatever
 * runs it (tsx, ts-jest, a bundle). Names sort by time; never edit or rename a landed one.
 */
const migrations: Record<string, Migration> = {
  '2026_11_27_0001_initial': initial,
  '2026_11_29_0001_delivery_workflow_id_derived': derivedWorkflowId,
  '2026_11_29_0002_delivery_acceptances': acceptances,
  '2026_11_29_0003_email_key': emailKey,
  '2026_11_29_0004_late_reports': lateReports,
  '2026_11_29_0005_sending_domains': sendingDomains,
  '2026_11_30_0001_contact_search': contactSearch,
};

function migrator(db: Db): Migrator {
  return new Migrator({ db, provider: { getMigrations: () => Promise.resolve(migrations) } });
}

function check({ error, results }: MigrationResultSet): string[] {
  if (error) {
    const failed = results?.find((r) => r.status === 'Error');
    const name = failed ? ` (${failed.migrationName})` : '';
    throw new Error(
      `Migration failed${name}: ${error instanceof Error ? error.message : JSON.stringify(error)}`,
    );
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/** Brings the schema to the latest version; returns the names of the migrations it ran. */
export async function migrateToLatest(db: Db): Promise<string[]> {
  return check(await migrator(db).migrateToLatest());
}

/** Brings the schema up or down to the named migration (tests of a migration start just before it). */
export async function migrateTo(db: Db, name: string): Promise<string[]> {
  return check(await migrator(db).migrateTo(name));
}

/** Undoes every migration (tests use it to prove each `down` works). */
export async function migrateDownToEmpty(db: Db): Promise<string[]> {
  const m = migrator(db);
  const undone: string[] = [];
  for (;;) {
    const ran = check(await m.migrateDown());
    if (ran.length === 0) return undone;
    undone.push(...ran);
  }
}
