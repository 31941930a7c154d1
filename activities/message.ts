/**
 * The message one delivery sends: the mailing's content, addressed to the recipient, with a
 * signed VERP return path that names the delivery, a Message-ID that stays the same on every attempt, and
 * one-click unsubscribe headers carrying the delivery's signed token (inbound/unsubscribe-token.ts).
 */
import type { Db } from '../db/connection';
import { returnPathFor, type ReturnPathKeys } from '../inbound/return-path';
import { tokenFor } from '../inbound/unsubscribe-token';
import * as mailings from '../db/mailings';
import type { MailingContent } from '../db/mailings';
import { UnknownMailingError } from './recording';
import type { OutgoingMessage } from './smtp';

/** Mailings kept in memory per worker: a mailing's content does not change once sent. */
const CACHED_MAILINGS = 1000;

export function createMessageBuilder(deps: {
  db: Db;
  mailDomain: string;
  returnPath: ReturnPathKeys;
  /** The API's public base URL: the one-click unsubscribe link points at its `/u/<token>`. */
  publicUrl: string;
}) {
  const base = deps.publicUrl.replace(/\/+$/, '');
  const cache = new Map<string, MailingContent>();

  async function contentOf(mailingId: string): Promise<MailingContent> {
    const hit = cache.get(mailingId);
    if (hit) return hit;
    const row = await mailings.content(deps.db, mailingId);
    if (!row) throw new UnknownMailingError(`mailing ${mailingId} does not exist`);
    if (cache.size >= CACHED_MAILINGS) cache.delete(cache.keys().next().value!);
    cache.set(mailingId, row);
    return row;
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
      // Stable across attempts: a receiver that did take an earlier try can spot the duplicate.
      messageId: `<delivery-${d.deliveryId}@${deps.mailDomain}>`,
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
