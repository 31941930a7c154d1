/**
 * Sending domains of an account. A domain is verified by one account at most: the partial unique
 * index `sending_domains_verified_once` decides a race between two accounts, never a read before.
 */
import { sql } from 'kysely';
import { type Db, isUniqueViolation } from './connection';
import { keysetPage, type Page } from './page';

const PUBLIC_COLUMNS = [
  'id',
  'domain',
  'verification_token',
  'dkim_selector',
  'dkim_public_key',
  'verified_at',
  'checked_at',
  'created_at',
] as const;

function selectDomains(db: Db, accountId: string) {
  // The sealed private key is read by the signer only (mailings.content): never by the API's queries.
  return db.selectFrom('sending_domains').select(PUBLIC_COLUMNS).where('account_id', '=', accountId);
}
export type SendingDomainRow = Awaited<
  ReturnType<ReturnType<typeof selectDomains>['executeTakeFirstOrThrow']>
>;

export function get(db: Db, accountId: string, id: string): Promise<SendingDomainRow | undefined> {
  return selectDomains(db, accountId).where('id', '=', id).executeTakeFirst();
}

export function list(db: Db, accountId: string, page: Page): Promise<SendingDomainRow[]> {
  return keysetPage(selectDomains(db, accountId), 'id', page);
}

export type NewSendingDomain = {
  domain: string;
  verificationToken: string;
  dkimSelector: string;
  dkimPublicKey: string;
  dkimPrivateKeySealed: string;
};

/** The new domain's id, or null when the account has this domain already. */
export async function create(db: Db, accountId: string, d: NewSendingDomain): Promise<string | null> {
  try {
    const { id } = await db
      .insertInto('sending_domains')
      .values({
        account_id: accountId,
        domain: d.domain,
        verification_token: d.verificationToken,
        dkim_selector: d.dkimSelector,
        dkim_public_key: d.dkimPublicKey,
        dkim_private_key_sealed: d.dkimPrivateKeySealed,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return id;
  } catch (err) {
    if (isUniqueViolation(err)) return null;
    throw err;
  }
}

/** The account's row for `domain`, with its sealed key: for the processes that seed or sign. */
export function byName(db: Db, accountId: string, domain: string) {
  return db
    .selectFrom('sending_domains')
    .select(['id', 'domain', 'dkim_selector', 'dkim_private_key_sealed'])
    .where('account_id', '=', accountId)
    .where('domain', '=', domain)
    .executeTakeFirst();
}

/** The account that has verified `domain`, with its row, when one has. */
export function verifiedHolder(db: Db, domain: string) {
  return db
    .selectFrom('sending_domains')
    .select([...PUBLIC_COLUMNS, 'account_id'])
    .where('domain', '=', domain)
    .where('verified_at', 'is not', null)
    .executeTakeFirst();
}

/** How many sending domains the account has. */
export async function countOf(db: Db, accountId: string): Promise<number> {
  const { n } = await db
    .selectFrom('sending_domains')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('account_id', '=', accountId)
    .executeTakeFirstOrThrow();
  return Number(n);
}

/** True when another account has verified `domain`. */
export async function verifiedElsewhere(db: Db, accountId: string, domain: string): Promise<boolean> {
  const row = await db
    .selectFrom('sending_domains')
    .select('id')
    .where('domain', '=', domain)
    .where('verified_at', 'is not', null)
    .where('account_id', '!=', accountId)
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * Records a check's verdict: verified (kept from an earlier verification when it was already) or
 * not. `taken` when another account verified the domain first.
 */
export async function recordCheck(
  db: Db,
  accountId: string,
  id: string,
  verified: boolean,
): Promise<'done' | 'taken'> {
  try {
    await db
      .updateTable('sending_domains')
      .set({
        checked_at: sql<Date>`now()`,
        verified_at: verified ? sql<Date>`coalesce(verified_at, now())` : null,
      })
      .where('id', '=', id)
      .where('account_id', '=', accountId)
      .execute();
    return 'done';
  } catch (err) {
    if (isUniqueViolation(err)) return 'taken';
    throw err;
  }
}

/**
 * True when `domain` is a verified sending domain of the account. `lock` (in a transaction): the row
 * stays as it is until the transaction ends, so that a removal waits for a send being marked.
 */
export async function isVerified(
  db: Db,
  accountId: string,
  domain: string,
  opts: { lock?: boolean } = {},
): Promise<boolean> {
  const query = db
    .selectFrom('sending_domains')
    .select('id')
    .where('account_id', '=', accountId)
    .where('domain', '=', domain)
    .where('verified_at', 'is not', null);
  const row = await (opts.lock ? query.forShare() : query).executeTakeFirst();
  return row !== undefined;
}

/** Locks the account's domain row for its removal (in a transaction); false when there is none. */
export async function lockForRemoval(trx: Db, accountId: string, id: string): Promise<boolean> {
  const row = await trx
    .selectFrom('sending_domains')
    .select('id')
    .where('id', '=', id)
    .where('account_id', '=', accountId)
    .forUpdate()
    .executeTakeFirst();
  return row !== undefined;
}

/** The account's mailings being sent from `domain` right now (they sign with its key). */
export async function sendingFrom(db: Db, accountId: string, domain: string): Promise<string[]> {
  const rows = await db
    .selectFrom('mailings')
    .select('id')
    .where('account_id', '=', accountId)
    .where('status', '=', 'sending')
    .where(sql<string>`split_part(from_email, '@', 2)`, '=', domain)
    .orderBy('id')
    .limit(10)
    .execute();
  return rows.map((r) => r.id);
}

export async function remove(db: Db, accountId: string, id: string): Promise<boolean> {
  const r = await db
    .deleteFrom('sending_domains')
    .where('id', '=', id)
    .where('account_id', '=', accountId)
    .executeTakeFirst();
  return r.numDeletedRows > 0n;
}
