/** Table types for Kysely: snake_case like the tables, nullable columns never optional. */
import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';
import type { DeliveryStatus } from '../domain/outcomes';

/** bigint identities come back from pg as strings; the database generates them (never written). */
type Id = ColumnType<string, never, never>;
type Ref = ColumnType<string, string | number | bigint, string | number | bigint>;
type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
type Timestamp = ColumnType<Date, Date | string, Date | string>;

/** `unsubscribed`: a complaint or a one-click unsubscribe; never sent to until set back to active. */
export type ContactStatus = 'active' | 'incorrect' | 'unsubscribed';
export type MailingStatus = 'draft' | 'sending' | 'done';

export interface AccountsTable {
  id: Id;
  name: string;
  created_at: CreatedAt;
}

export interface ApiKeysTable {
  id: Id;
  account_id: Ref;
  key_hash: string;
  created_at: CreatedAt;
  revoked_at: Timestamp | null;
}

export interface ContactsTable {
  id: Id;
  account_id: Ref;
  /** As written for sending: local part in NFC, domain in ASCII (domain/address.ts). */
  email: string;
  /** emailKey(email): one mailbox, one key; unique per account among rows with no duplicate_of. */
  email_key: string;
  /** Only on rows that already shared their key when keys came (migration 2026_12_01): the owner. */
  duplicate_of: Ref | null;
  first_name: string | null;
  last_name: string | null;
  status: ColumnType<ContactStatus, ContactStatus | undefined, ContactStatus>;
  incorrect_reason: string | null;
  incorrect_since: Timestamp | null;
  unsubscribed_at: Timestamp | null;
  /** `complaint` or `one_click`. */
  unsubscribed_reason: string | null;
  created_at: CreatedAt;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface GroupsTable {
  id: Id;
  account_id: Ref;
  name: string;
  created_at: CreatedAt;
}

export interface GroupMembersTable {
  group_id: Ref;
  contact_id: Ref;
  added_at: CreatedAt;
}

export interface RemovedGroupMembersTable {
  contact_id: Ref;
  group_id: Ref;
  removed_at: CreatedAt;
  delivery_id: Ref | null;
}

export interface MailingsTable {
  id: Id;
  account_id: Ref;
  name: string;
  from_email: string;
  from_name: string | null;
  subject: string;
  text_body: string | null;
  html_body: string | null;
  status: ColumnType<MailingStatus, MailingStatus | undefined, MailingStatus>;
  workflow_id: string | null;
  recipients_total: number | null;
  deliveries_started: Generated<number>;
  created_at: CreatedAt;
  sent_at: Timestamp | null;
  done_at: Timestamp | null;
}

export interface MailingGroupsTable {
  mailing_id: Ref;
  group_id: Ref;
}

export interface DeliveriesTable {
  id: Id;
  account_id: Ref;
  mailing_id: Ref;
  contact_id: Ref;
  /** The address it is sent to, as the contact had it then. */
  email: string;
  /** emailKey(email): unique per mailing among rows with no duplicate_of (see contacts). */
  email_key: string;
  duplicate_of: Ref | null;
  status: ColumnType<DeliveryStatus, DeliveryStatus | undefined, DeliveryStatus>;
  category: string | null;
  reason: string | null;
  attempts: Generated<number>;
  last_reply: string | null;
  last_attempt_at: Timestamp | null;
  next_attempt_at: Timestamp | null;
  created_at: CreatedAt;
  ended_at: Timestamp | null;
}

export interface DeliveryAttemptsTable {
  delivery_id: Ref;
  n: number;
  at: Timestamp;
  reply: string | null;
  code: number | null;
  enhanced_code: string | null;
  category: string;
  reason: string;
  rule: string | null;
  mx_host: string | null;
  smtp_phase: string | null;
  duration_ms: number | null;
  /** A report that came back after the attempt (a DSN, a complaint), not an attempt of ours. */
  late: Generated<boolean>;
}

export interface DeliveryAcceptancesTable {
  delivery_id: Ref;
  /**
   * The send activity's AttemptResult, as it returned it: an acceptance, replaced once by the same
   * reply marked `ended` when the send recorded the end too (or such a final refusal).
   */
  result: ColumnType<unknown, string, string>;
  accepted_at: CreatedAt;
}

export interface MailingCountersTable {
  mailing_id: Ref;
  shard: number;
  total: Generated<number>;
  delivered: Generated<number>;
  incorrect_addresses: Generated<number>;
  technical_problems: Generated<number>;
  retrying: Generated<number>;
  complaints: Generated<number>;
  unsubscribed: Generated<number>;
}

export interface MailingReasonCountersTable {
  mailing_id: Ref;
  shard: number;
  reason: string;
  n: Generated<number>;
}

/** Late reports already applied: the same report received twice changes nothing the second time. */
export interface LateReportsTable {
  delivery_id: Ref;
  report_key: string;
  kind: string;
  received_at: CreatedAt;
}

/** A domain an account sends from: verified by a DNS record, signing with its own DKIM key. */
export interface SendingDomainsTable {
  id: Id;
  account_id: Ref;
  /** Lower-case ASCII, no trailing dot: as published in DNS and signed as DKIM's d=. */
  domain: string;
  verification_token: string;
  dkim_selector: string;
  /** Base64 SubjectPublicKeyInfo: the p= of the published record. */
  dkim_public_key: string;
  /** The private key, sealed under DKIM_ENCRYPTION_KEY (sending-domains/keys.ts). */
  dkim_private_key_sealed: string;
  verified_at: Timestamp | null;
  checked_at: Timestamp | null;
  created_at: CreatedAt;
}

export interface Database {
  accounts: AccountsTable;
  api_keys: ApiKeysTable;
  contacts: ContactsTable;
  groups: GroupsTable;
  group_members: GroupMembersTable;
  removed_group_members: RemovedGroupMembersTable;
  mailings: MailingsTable;
  mailing_groups: MailingGroupsTable;
  deliveries: DeliveriesTable;
  delivery_attempts: DeliveryAttemptsTable;
  delivery_acceptances: DeliveryAcceptancesTable;
  late_reports: LateReportsTable;
  mailing_counters: MailingCountersTable;
  mailing_reason_counters: MailingReasonCountersTable;
  sending_domains: SendingDomainsTable;
}

export type Account = Selectable<AccountsTable>;
export type Contact = Selectable<ContactsTable>;
export type NewContact = Insertable<ContactsTable>;
export type Group = Selectable<GroupsTable>;
export type Mailing = Selectable<MailingsTable>;
export type Delivery = Selectable<DeliveriesTable>;
export type DeliveryUpdate = Updateable<DeliveriesTable>;
export type DeliveryAttempt = Selectable<DeliveryAttemptsTable>;
