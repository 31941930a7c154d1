/**
 * The dev account's sending domain: `npm start` gives it `example.com`, verified the real way (its
 * records published in a local DNS server that DNS_SERVER points the API and the worker at), so that
 * mailings from news@example.com work out of the box and are DKIM-signed like any other.
 */
import type { Db } from '../db/connection';
import * as sendingDomains from '../db/sending-domains';
import { KeyUnsealError, openPrivateKey } from '../sending-domains/keys';
import type { TxtResolver } from '../sending-domains/lookup';
import { newDomainKeys, recordsOf, sealContext, verifyDomain } from '../sending-domains/service';
import type { DnsServer } from './dns-server';

export const DEV_SENDING_DOMAIN = 'example.com';

/**
 * Makes sure the account has `domain` with a key that opens under `keySecret` (a key sealed under
 * another secret, say after DATA_DIR was deleted, is replaced), publishes its records in `dns` when
 * that is ours, and verifies it. Says whether it is verified.
 */
export async function ensureDevDomain(
  db: Db,
  accountId: string,
  opts: {
    domain: string;
    keySecret: string;
    resolver: TxtResolver;
    dns: DnsServer | undefined;
    spfHost: string;
  },
): Promise<boolean> {
  let row = await findDomain(db, accountId, opts.domain);
  if (row && !opens(accountId, row, opts.keySecret)) {
    await sendingDomains.remove(db, accountId, row.id);
    row = undefined;
  }
  if (!row) {
    await sendingDomains.create(db, accountId, await newDomainKeys(accountId, opts.domain, opts.keySecret));
    row = (await findDomain(db, accountId, opts.domain))!;
  }
  opts.dns?.publish(recordsOf(row, opts.spfHost));
  return (await verifyDomain(db, opts.resolver, accountId, row, opts.spfHost)).verified;
}

async function findDomain(db: Db, accountId: string, domain: string) {
  const found = await sendingDomains.byName(db, accountId, domain);
  if (!found) return undefined;
  return { ...(await sendingDomains.get(db, accountId, found.id))!, sealed: found.dkim_private_key_sealed };
}

function opens(
  accountId: string,
  row: { domain: string; dkim_selector: string; sealed: string },
  keySecret: string,
): boolean {
  try {
    openPrivateKey(row.sealed, keySecret, sealContext(accountId, row.domain, row.dkim_selector));
    return true;
  } catch (err) {
    if (err instanceof KeyUnsealError) return false;
    throw err;
  }
}
