import { createHash, randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import type { Db } from './connection';

/** Keys are random 32-byte tokens; only their SHA-256 is stored. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

export function newApiKey(): string {
  return `dk_${randomBytes(32).toString('base64url')}`;
}

/**
 * Makes sure the account exists and that `key` is its one valid key; used by `npm start` for the
 * `dev` account, so its key keeps working across restarts and a key it printed before (an older
 * API_KEY) stops opening it. Returns the account id.
 */
export async function ensureAccountWithKey(db: Db, name: string, key: string): Promise<string> {
  return db.transaction().execute(async (trx) => {
    await trx
      .insertInto('accounts')
      .values({ name })
      .onConflict((oc) => oc.column('name').doNothing())
      .execute();
    const { id } = await trx
      .selectFrom('accounts')
      .select('id')
      .where('name', '=', name)
      .executeTakeFirstOrThrow();
    await trx
      .insertInto('api_keys')
      .values({ account_id: id, key_hash: hashApiKey(key) })
      .onConflict((oc) =>
        oc.column('key_hash').doUpdateSet({ revoked_at: null }).where('api_keys.account_id', '=', id),
      )
      .execute();
    await trx
      .updateTable('api_keys')
      .set({ revoked_at: sql<Date>`now()` })
      .where('account_id', '=', id)
      .where('key_hash', '<>', hashApiKey(key))
      .where('revoked_at', 'is', null)
      .execute();
    return id;
  });
}

/** Creates a new account and returns its id and its first key (shown once, never stored). */
export async function createAccount(db: Db, name: string): Promise<{ id: string; key: string }> {
  const key = newApiKey();
  return db.transaction().execute(async (trx) => {
    const { id } = await trx
      .insertInto('accounts')
      .values({ name })
      .returning('id')
      .executeTakeFirstOrThrow();
    await trx
      .insertInto('api_keys')
      .values({ account_id: id, key_hash: hashApiKey(key) })
      .execute();
    return { id, key };
  });
}

/** The account a key opens, or undefined for an unknown or revoked key. */
export async function accountForKey(db: Db, key: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('api_keys')
    .select('account_id')
    .where('key_hash', '=', hashApiKey(key))
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return row?.account_id;
}

/**
 * Locks the account's row for the rest of the transaction: writes that check a bound of the account
 * before adding to it (its sending domains) take turns instead of both passing the check.
 */
export async function lock(trx: Db, accountId: string): Promise<void> {
  // NO KEY: rows that reference the account (contacts, groups, ...) take a key-share lock on it,
  // which this one leaves them.
  await trx.selectFrom('accounts').select('id').where('id', '=', accountId).forNoKeyUpdate().execute();
}
