/**
 * What adding and verifying a sending domain does, shared by the API and `npm start` (which gives the
 * dev account its domain through the same steps, against its local DNS server).
 */
import { randomBytes } from 'node:crypto';
import type { Db } from '../db/connection';
import * as sendingDomains from '../db/sending-domains';
import type { NewSendingDomain, SendingDomainRow } from '../db/sending-domains';
import { generateDkimKey, sealPrivateKey } from './keys';
import { checkRecords, DnsLookupError, type TxtResolver } from './lookup';
import { type DnsRecord, type RecordCheck, recordsFor, REQUIRED } from './records';

/** The additional data a domain's sealed key is bound to: its row, by account, domain and selector. */
export const sealContext = (accountId: string, domain: string, selector: string) =>
  `account ${accountId}: ${selector}._domainkey.${domain}`;

/** A fresh verification token and DKIM key for the account's `domain`, the key sealed under `keySecret`. */
export async function newDomainKeys(
  accountId: string,
  domain: string,
  keySecret: string,
): Promise<NewSendingDomain> {
  const key = await generateDkimKey();
  // A selector of its own per domain row: a later key can be published beside it (rotation).
  const dkimSelector = `dlv${randomBytes(4).toString('hex')}`;
  return {
    domain,
    verificationToken: randomBytes(18).toString('base64url'),
    dkimSelector,
    dkimPublicKey: key.publicKey,
    dkimPrivateKeySealed: sealPrivateKey(
      key.privateKeyPem,
      keySecret,
      sealContext(accountId, domain, dkimSelector),
    ),
  };
}

export function recordsOf(row: SendingDomainRow, spfHost: string): DnsRecord[] {
  return recordsFor(
    {
      domain: row.domain,
      verificationToken: row.verification_token,
      dkimSelector: row.dkim_selector,
      dkimPublicKey: row.dkim_public_key,
    },
    spfHost,
  );
}

export type Verdict = { checks: RecordCheck[]; verified: boolean; taken: boolean };

/**
 * Looks the domain's records up and records the verdict: verified when every required record is
 * right. A domain whose records are gone is un-verified (mailings from it are refused at send);
 * a lookup failure (DnsLookupError) changes nothing.
 */
export async function verifyDomain(
  db: Db,
  resolver: TxtResolver,
  accountId: string,
  row: SendingDomainRow,
  spfHost: string,
): Promise<Verdict> {
  const checks = await checkRecords(resolver, recordsOf(row, spfHost));
  const verified = checks.every((c) => !c.required || c.status === 'ok');
  let taken = (await sendingDomains.recordCheck(db, accountId, row.id, verified)) === 'taken';
  // Another account verified it first: if that one no longer proves it, the domain changes hands.
  if (taken && !(await stillHeld(db, resolver, row.domain, spfHost)))
    taken = (await sendingDomains.recordCheck(db, accountId, row.id, verified)) === 'taken';
  return { checks, verified: verified && !taken, taken };
}

/**
 * True when the account that verified `domain` still proves it: its required records are still
 * published. When they are gone it is un-verified (a domain that changed hands is not held forever by
 * its former owner); a lookup that fails leaves it as it is.
 */
export async function stillHeld(
  db: Db,
  resolver: TxtResolver,
  domain: string,
  spfHost: string,
): Promise<boolean> {
  const holder = await sendingDomains.verifiedHolder(db, domain);
  if (!holder) return false;
  try {
    const checks = await checkRecords(
      resolver,
      recordsOf(holder, spfHost).filter((r) => REQUIRED.has(r.purpose)),
    );
    if (checks.every((c) => c.status === 'ok')) return true;
  } catch (err) {
    if (err instanceof DnsLookupError) return true;
    throw err;
  }
  await sendingDomains.recordCheck(db, holder.account_id, holder.id, false);
  return false;
}
