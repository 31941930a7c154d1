import { type Kysely, sql } from 'kysely';

/**
 * A delivery's workflow id is `delivery-<mailingId>-<contactId>` (contract/delivery.ts): derived
 * where it is needed instead of stored, so the format is written in one place.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('deliveries').dropColumn('workflow_id').execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('deliveries').addColumn('workflow_id', 'text').execute();
  await sql`update deliveries set workflow_id = 'delivery-' || mailing_id || '-' || contact_id`.execute(db);
  await db.schema
    .alterTable('deliveries')
    .alterColumn('workflow_id', (c) => c.setNotNull())
    .execute();
}
