/**
 * The data model of the service. Frozen once landed: change the schema with a new migration.
 * Ids are bigint identities (pg returns them as strings, which is what the API exposes).
 */
import { Kysely, sql } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations must not depend on today's schema types
export async function up(db: Kysely<any>): Promise<void> {
  const now = sql`now()`;

  await db.schema
    .createTable('accounts')
    .addColumn('id', 'bigint', (c) => c.generatedAlwaysAsIdentity().primaryKey())
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .execute();

  // Only the SHA-256 of a key is stored: a leaked table does not leak working keys.
  await db.schema
    .createTable('api_keys')
    .addColumn('id', 'bigint', (c) => c.generatedAlwaysAsIdentity().primaryKey())
    .addColumn('account_id', 'bigint', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('key_hash', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('revoked_at', 'timestamptz')
    .execute();

  await db.schema
    .createTable('contacts')
    .addColumn('id', 'bigint', (c) => c.generatedAlwaysAsIdentity().primaryKey())
    .addColumn('account_id', 'bigint', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('email', 'text', (c) => c.notNull())
    .addColumn('first_name', 'text')
    .addColumn('last_name', 'text')
    .addColumn('status', 'text', (c) =>
      c
        .notNull()
        .defaultTo('active')
        .check(sql`status in ('active', 'incorrect')`),
    )
    .addColumn('incorrect_reason', 'text')
    .addColumn('incorrect_since', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addUniqueConstraint('contacts_account_email_key', ['account_id', 'email'])
    .execute();
  await db.schema
    .createIndex('contacts_account_status_id_idx')
    .on('contacts')
    .columns(['account_id', 'status', 'id'])
    .execute();

  await db.schema
    .createTable('groups')
    .addColumn('id', 'bigint', (c) => c.generatedAlwaysAsIdentity().primaryKey())
    .addColumn('account_id', 'bigint', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .execute();
  await db.schema.createIndex('groups_account_id_idx').on('groups').columns(['account_id', 'id']).execute();

  await db.schema
    .createTable('group_members')
    .addColumn('group_id', 'bigint', (c) => c.notNull().references('groups.id').onDelete('cascade'))
    .addColumn('contact_id', 'bigint', (c) => c.notNull().references('contacts.id').onDelete('cascade'))
    .addColumn('added_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addPrimaryKeyConstraint('group_members_pkey', ['group_id', 'contact_id'])
    .execute();
  await db.schema.createIndex('group_members_contact_idx').on('group_members').column('contact_id').execute();

  // The groups a hard bounce took a contact out of, so that correcting its address can restore them.
  await db.schema
    .createTable('removed_group_members')
    .addColumn('contact_id', 'bigint', (c) => c.notNull().references('contacts.id').onDelete('cascade'))
    .addColumn('group_id', 'bigint', (c) => c.notNull().references('groups.id').onDelete('cascade'))
    .addColumn('removed_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('delivery_id', 'bigint')
    .addPrimaryKeyConstraint('removed_group_members_pkey', ['contact_id', 'group_id'])
    .execute();

  await db.schema
    .createTable('mailings')
    .addColumn('id', 'bigint', (c) => c.generatedAlwaysAsIdentity().primaryKey())
    .addColumn('account_id', 'bigint', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('from_email', 'text', (c) => c.notNull())
    .addColumn('from_name', 'text')
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('text_body', 'text')
    .addColumn('html_body', 'text')
    .addColumn('status', 'text', (c) =>
      c
        .notNull()
        .defaultTo('draft')
        .check(sql`status in ('draft', 'sending', 'done')`),
    )
    .addColumn('workflow_id', 'text')
    .addColumn('recipients_total', 'integer')
    .addColumn('deliveries_started', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('sent_at', 'timestamptz')
    .addColumn('done_at', 'timestamptz')
    .execute();
  await db.schema
    .createIndex('mailings_account_id_idx')
    .on('mailings')
    .columns(['account_id', 'id'])
    .execute();

  await db.schema
    .createTable('mailing_groups')
    .addColumn('mailing_id', 'bigint', (c) => c.notNull().references('mailings.id').onDelete('cascade'))
    .addColumn('group_id', 'bigint', (c) => c.notNull().references('groups.id').onDelete('cascade'))
    .addPrimaryKeyConstraint('mailing_groups_pkey', ['mailing_id', 'group_id'])
    .execute();

  await db.schema
    .createTable('deliveries')
    .addColumn('id', 'bigint', (c) => c.generatedAlwaysAsIdentity().primaryKey())
    .addColumn('account_id', 'bigint', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('mailing_id', 'bigint', (c) => c.notNull().references('mailings.id').onDelete('cascade'))
    .addColumn('contact_id', 'bigint', (c) => c.notNull().references('contacts.id').onDelete('cascade'))
    .addColumn('email', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) =>
      c
        .notNull()
        .defaultTo('in_progress')
        .check(sql`status in ('in_progress', 'delivered', 'incorrect_address', 'technical_problem')`),
    )
    .addColumn('category', 'text')
    .addColumn('reason', 'text')
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_reply', 'text')
    .addColumn('last_attempt_at', 'timestamptz')
    .addColumn('next_attempt_at', 'timestamptz')
    .addColumn('workflow_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('ended_at', 'timestamptz')
    .addUniqueConstraint('deliveries_mailing_contact_key', ['mailing_id', 'contact_id'])
    .execute();
  await db.schema
    .createIndex('deliveries_mailing_status_id_idx')
    .on('deliveries')
    .columns(['mailing_id', 'status', 'id'])
    .execute();
  await db.schema.createIndex('deliveries_contact_idx').on('deliveries').column('contact_id').execute();

  // One row per attempt, keyed by its number: recording the same attempt twice is a no-op.
  await db.schema
    .createTable('delivery_attempts')
    .addColumn('delivery_id', 'bigint', (c) => c.notNull().references('deliveries.id').onDelete('cascade'))
    .addColumn('n', 'integer', (c) => c.notNull())
    .addColumn('at', 'timestamptz', (c) => c.notNull())
    .addColumn('reply', 'text')
    .addColumn('code', 'integer')
    .addColumn('enhanced_code', 'text')
    .addColumn('category', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('rule', 'text')
    .addColumn('mx_host', 'text')
    .addColumn('smtp_phase', 'text')
    .addColumn('duration_ms', 'integer')
    .addPrimaryKeyConstraint('delivery_attempts_pkey', ['delivery_id', 'n'])
    .execute();

  // Per-mailing counters kept by the recording activities in the same transaction as the delivery
  // row, so statistics are a read of a few rows, never a count over the deliveries. Split in shards
  // so that concurrent outcomes of one large mailing do not all wait on one row lock.
  await db.schema
    .createTable('mailing_counters')
    .addColumn('mailing_id', 'bigint', (c) => c.notNull().references('mailings.id').onDelete('cascade'))
    .addColumn('shard', 'smallint', (c) => c.notNull())
    .addColumn('total', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('delivered', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('incorrect_addresses', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('technical_problems', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('retrying', 'integer', (c) => c.notNull().defaultTo(0))
    .addPrimaryKeyConstraint('mailing_counters_pkey', ['mailing_id', 'shard'])
    .execute();
  await db.schema
    .createTable('mailing_reason_counters')
    .addColumn('mailing_id', 'bigint', (c) => c.notNull().references('mailings.id').onDelete('cascade'))
    .addColumn('shard', 'smallint', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('n', 'integer', (c) => c.notNull().defaultTo(0))
    .addPrimaryKeyConstraint('mailing_reason_counters_pkey', ['mailing_id', 'shard', 'reason'])
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see up()
export async function down(db: Kysely<any>): Promise<void> {
  for (const table of [
    'mailing_reason_counters',
    'mailing_counters',
    'delivery_attempts',
    'deliveries',
    'mailing_groups',
    'mailings',
    'removed_group_members',
    'group_members',
    'groups',
    'contacts',
    'api_keys',
    'accounts',
  ]) {
    await db.schema.dropTable(table).execute();
  }
}
