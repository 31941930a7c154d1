/** A mailing sends only from a verified sending domain of its account. */
import type { Db } from '../../db/connection';
import * as sendingDomains from '../../db/sending-domains';
import { ApiError } from '../errors';

/**
 * The check mailings pass at create and at send: the From address must be on a verified domain of
 * the account (a domain can lose its verification in between).
 */
export async function requireVerifiedFrom(
  db: Db,
  accountId: string,
  fromEmail: string,
  opts: { lock?: boolean } = {},
): Promise<void> {
  const domain = fromEmail.slice(fromEmail.lastIndexOf('@') + 1);
  if (await sendingDomains.isVerified(db, accountId, domain, opts)) return;
  throw new ApiError(
    'unprocessable',
    `fromEmail: ${domain} is not a verified sending domain of this account: add it with POST /v1/sending-domains and verify it.`,
    [{ field: 'fromEmail', message: `${domain} is not a verified sending domain of this account` }],
  );
}
