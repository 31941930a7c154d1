import { type Kysely, sql } from 'kysely';

/**
 * A message the receiving server accepted, written by the send activity before it returns: a retry
 * of that activity (its worker died after the 250, before Temporal heard of it) finds the
 * acceptance here and reports it instead of sending the message again. Since revision 3 it also
 * holds a final refusal whose end the send recorded (db/deliveries.ts, saveReply).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations must not depend on today's schema types
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('delivery_acceptances')
    .addColumn('delivery_id', 'bigint', (c) => c.primaryKey().references('deliveries.id').onDelete('cascade'))
    .addColumn('result', 'jsonb', (c) => c.notNull())
    .addColumn('accepted_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('delivery_acceptances').execute();
}
