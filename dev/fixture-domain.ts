/**
 * A verified sending domain without DNS, for what seeds its data straight into the database: drills,
 * the bench and tests (which prove the real way, through the API and a DNS server, on their own).
 * Its key is sealed under FIXTURE_DKIM_KEY_SECRET, which their workers are given.
 */
import type { Db } from '../db/connection';
import * as sendingDomains from '../db/sending-domains';
import { newDomainKeys } from '../sending-domains/service';

export const FIXTURE_DKIM_KEY_SECRET = 'the-dkim-key-secret-of-seeded-test-and-bench-data';

/**
 * Gives the account `domain` with a DKIM key, verified unless another account of the same database
 * has verified it already (a domain is verified by one account only): then its messages are still
 * signed, but the API refuses new mailings from it. Says whether it is verified.
 */
export async function ensureSendingDomain(db: Db, accountId: string, domain: string): Promise<boolean> {
  const exists = await sendingDomains.byName(db, accountId, domain);
  const id =
    exists?.id ??
    (await sendingDomains.create(
      db,
      accountId,
      await newDomainKeys(accountId, domain, FIXTURE_DKIM_KEY_SECRET),
    ));
  if (id === null) return ensureSendingDomain(db, accountId, domain);
  return (await sendingDomains.recordCheck(db, accountId, id, true)) === 'done';
}
