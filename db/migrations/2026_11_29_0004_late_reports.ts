import { type Kysely, sql } from 'kysely';

/**
 * What comes back after a 250: reports of late bounces and complaints. A contact can be
 * `unsubscribed` (a complaint, or one-click unsubscribe); a delivery's attempts can be late reports;
 * each report is applied once (keyed by its delivery and its content); mailings count complaints and
 * unsubscribes.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations must not depend on today's schema types
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table contacts drop constraint if exists contacts_status_check`.execute(db);
  await sql`alter table contacts add constraint contacts_status_check
    check (status in ('active', 'incorrect', 'unsubscribed'))`.execute(db);
  await db.schema
    .alterTable('contacts')
    .addColumn('unsubscribed_at', 'timestamptz')
    .addColumn('unsubscribed_reason', 'text')
    .execute();
  await db.schema
    .alterTable('delivery_attempts')
    .addColumn('late', 'boolean', (c) => c.notNull().defaultTo(false))
    .execute();
  await db.schema
    .alterTable('mailing_counters')
    .addColumn('complaints', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('unsubscribed', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema
    .createTable('late_reports')
    .addColumn('delivery_id', 'bigint', (c) => c.notNull().references('deliveries.id').onDelete('cascade'))
    .addColumn('report_key', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('received_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('late_reports_pkey', ['delivery_id', 'report_key'])
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('late_reports').execute();
  await db.schema
    .alterTable('mailing_counters')
    .dropColumn('complaints')
    .dropColumn('unsubscribed')
    .execute();
  await db.schema.alterTable('delivery_attempts').dropColumn('late').execute();
  await sql`update contacts set status = 'active' where status = 'unsubscribed'`.execute(db);
  await db.schema
    .alterTable('contacts')
    .dropColumn('unsubscribed_at')
    .dropColumn('unsubscribed_reason')
    .execute();
  await sql`alter table contacts drop constraint if exists contacts_status_check`.execute(db);
  await sql`alter table contacts add constraint contacts_status_check
    check (status in ('active', 'incorrect'))`.execute(db);
}
