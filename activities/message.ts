/**
 * The message one delivery sends: the mailing's content, addressed to the recipient, with a
 * signed VERP return path that names the delivery, a Message-ID on the From domain that stays the same
 * on every attempt, one-click unsubscribe headers carrying the delivery's signed token
 * (inbound/unsubscribe-token.ts), and the From domain's DKIM key to sign it with.
 */
import { createPrivateKey, createPublicKey } from 'node:crypto';
import type { Db } from '../db/connection';
import { returnPathFor, type ReturnPathKeys } from '../inbound/return-path';
import { tokenFor } from '../inbound/unsubscribe-token';
import * as mailings from '../db/mailings';
import { recipientDomain } from '../domain/address';
import { KeyUnsealError, openPrivateKey } from '../sending-domains/keys';
import { sealContext } from '../sending-domains/service';
import { UnknownMailingError } from './recording';
import type { DkimKey, OutgoingMessage } from './smtp';

/**
 * The mailing's From domain has no DKIM key in this account (a mailing sent before sending domains
 * existed): nothing is sent unsigned; the activity retries until the domain is added.
 */
export class NoSigningKeyError extends Error {
  override name = 'NoSigningKeyError';
}

type Content = NonNullable<Awaited<ReturnType<typeof mailings.content>>> & { dkim: DkimKey };

/** Mailings kept in memory per worker: a mailing's content does not change once sent. */
const CACHED_MAILINGS = 1000;

export function createMessageBuilder(deps: {
  db: Db;
  returnPath: ReturnPathKeys;
  /** The API's public base URL: the one-click unsubscribe link points at its `/u/<token>`. */
  publicUrl: string;
  /** DKIM_ENCRYPTION_KEY: opens the sealed DKIM keys of sending domains. */
  dkimKeySecret: string;
}) {
  const base = deps.publicUrl.replace(/\/+$/, '');
  // The opened key lives here, in this process's memory only: never in a payload or a log line.
  const cache = new Map<string, Content>();

  async function contentOf(mailingId: string): Promise<Content> {
    const hit = cache.get(mailingId);
    if (hit) return hit;
    const row = await mailings.content(deps.db, mailingId);
    if (!row) throw new UnknownMailingError(`mailing ${mailingId} does not exist`);
    const { dkim_domain: domain, dkim_selector: selector, dkim_private_key_sealed: sealed } = row;
    if (!domain || !selector || !sealed || !row.dkim_public_key)
      throw new NoSigningKeyError(
        `mailing ${mailingId}: ${recipientDomain(row.from_email)} is no sending domain of its account (no DKIM key): add and verify it`,
      );
    const context = sealContext(row.account_id, domain, selector);
    const privateKey = createPrivateKey(openPrivateKey(sealed, deps.dkimKeySecret, context));
    // A key that is not the published one would sign mail that every receiver fails.
    const published = createPublicKey(privateKey).export({ type: 'spki', format: 'der' }).toString('base64');
    if (published !== row.dkim_public_key)
      throw new KeyUnsealError(`the DKIM key of ${context} is not the one its DNS record publishes`);
    const content = { ...row, dkim: { domainName: domain, keySelector: selector, privateKey } };
    if (cache.size >= CACHED_MAILINGS) cache.delete(cache.keys().next().value!);
    cache.set(mailingId, content);
    return content;
  }

  return async function messageFor(d: {
    deliveryId: string;
    mailingId: string;
    email: string;
  }): Promise<OutgoingMessage> {
    const m = await contentOf(d.mailingId);
    const token = tokenFor(d.deliveryId, deps.returnPath.secret);
    return {
      to: d.email,
      from: m.from_email,
      fromName: m.from_name,
      returnPath: returnPathFor(d.deliveryId, deps.returnPath),
      subject: m.subject,
      text: m.text_body,
      html: m.html_body,
      // Stable across attempts: a receiver that did take an earlier try can spot the duplicate. On
      // the From domain, like the signature.
      messageId: `<delivery-${d.deliveryId}@${m.dkim.domainName}>`,
      dkim: m.dkim,
      headers: {
        'X-Delivery-Id': d.deliveryId,
        'X-Mailing-Id': d.mailingId,
        // One-click unsubscribe (RFC 8058; RFC 2369's mailto for clients that only mail).
        'List-Unsubscribe': `<${base}/u/${token}>, <mailto:unsubscribe+${token}@${deps.returnPath.domain}>`,
        'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
      },
    };
  };
}
