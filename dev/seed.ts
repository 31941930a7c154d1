/**
 * A mailing to one group of generated contacts, for drills and the bench: `mix` says how many
 * addresses of each lab domain (`p1@ok.test`, `p2@ok.test`, ...). Inserted in one statement per
 * domain, so 100,000 contacts take seconds.
 */
import { sql } from 'kysely';
import type { Db } from '../db/connection';
import { emailKey } from '../domain/address';
import { ensureSendingDomain } from './fixture-domain';

/** The From address of seeded mailings: a verified domain of their account, signed with a fixture key. */
export const SEED_FROM = 'news@sender.example';

export type Mix = Record<string, number>;

export const mixTotal = (mix: Mix) => Object.values(mix).reduce((a, b) => a + b, 0);

/** The addresses `seedMailing` creates for `mix`. */
export const mixEmails = (mix: Mix) =>
  Object.entries(mix).flatMap(([domain, n]) => Array.from({ length: n }, (_, i) => `p${i + 1}@${domain}`));

export async function seedMailing(
  db: Db,
  accountId: string,
  mix: Mix,
  opts: { status?: 'draft' | 'sending' } = {},
): Promise<{ groupId: string; mailingId: string }> {
  const { id: groupId } = await db
    .insertInto('groups')
    .values({ account_id: accountId, name: `all ${Date.now()}` })
    .returning('id')
    .executeTakeFirstOrThrow();
  for (const [domain, n] of Object.entries(mix)) {
    // `pN` has no case to fold: the key of `pN@domain` is `pN@` and the domain's key.
    const keyDomain = emailKey(`p@${domain}`).slice('p@'.length);
    await sql`
      with c as (
        insert into contacts (account_id, email, email_key)
        select ${accountId}, 'p' || i || '@' || ${domain}, 'p' || i || '@' || ${keyDomain}
          from generate_series(1, ${n}::int) i
        returning id)
      insert into group_members (group_id, contact_id) select ${groupId}, id from c`.execute(db);
  }
  await ensureSendingDomain(db, accountId, 'sender.example');
  const { id: mailingId } = await db
    .insertInto('mailings')
    .values({
      account_id: accountId,
      name: 'seeded',
      from_email: SEED_FROM,
      subject: 'Hello',
      text_body: 'Hi there',
      status: opts.status ?? 'draft',
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await db.insertInto('mailing_groups').values({ mailing_id: mailingId, group_id: groupId }).execute();
  return { groupId, mailingId };
}
