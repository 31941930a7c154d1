/** A digest of every table's rows: equal before and after means a request changed nothing. */
import { sql } from 'kysely';
import type { Db } from '../../db/connection';

const TABLES = [
  'accounts',
  'api_keys',
  'contacts',
  'groups',
  'group_members',
  'removed_group_members',
  'mailings',
  'mailing_groups',
  'deliveries',
  'delivery_attempts',
  'mailing_counters',
  'mailing_reason_counters',
];

export async function fingerprint(db: Db): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const table of TABLES) {
    const { rows } = await sql<{ digest: string | null; n: string }>`
      select md5(coalesce(string_agg(t::text, '|' order by t::text), '')) as digest, count(*) as n
        from ${sql.table(table)} t`.execute(db);
    out[table] = `${rows[0]!.n}:${rows[0]!.digest}`;
  }
  return out;
}
