import { type Kysely, sql } from 'kysely';

/**
 * Contact search (GET /v1/contacts?search=): a part of the address or of a name, in any letter case,
 * is an `ILIKE '%…%'`, which no B-tree serves. Trigram indexes (pg_trgm, an extension shipped with
 * PostgreSQL that a database owner may create) find the few contacts that match among an account's
 * million without reading them all; searches of one or two characters still read the list in order.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations must not depend on today's schema types
export async function up(db: Kysely<any>): Promise<void> {
  await sql`create extension if not exists pg_trgm`.execute(db);
  await sql`create index contacts_search_trgm on contacts
    using gin (email gin_trgm_ops, first_name gin_trgm_ops, last_name gin_trgm_ops)`.execute(db);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index if exists contacts_search_trgm`.execute(db);
  await sql`drop extension if exists pg_trgm`.execute(db);
}
