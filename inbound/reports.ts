/**
 * From a returned message to the late reports it carries: which delivery each is about, and a key
 * that is the same when the same report comes twice. Pure: the listener does the I/O.
 */
import { createHash } from 'node:crypto';
import { isId } from '../domain/ids';
import type { LateReport } from '../contract/late-report';
import { isComplaintFeedback, type OriginalRefs, type ParsedInbound } from './parse';
import { deliveryOfReturnPath, type ReturnPathKeys } from './return-path';
import { deliveryOfToken } from './unsubscribe-token';

/**
 * Whom a returned message was sent to: a signed return path names its delivery; the feedback-loop
 * address names none, and the delivery is looked up from the returned message's headers.
 */
export type Envelope = { deliveryId: string | null; receivedAt: string };

/** The delivery a message to `rcpt` is about, `null` for the feedback address, `undefined` to refuse. */
export function envelopeRecipient(
  rcpt: string,
  keys: ReturnPathKeys,
  feedbackAddress: string,
): string | null | undefined {
  if (rcpt.toLowerCase() === feedbackAddress.toLowerCase()) return null;
  return deliveryOfReturnPath(rcpt, keys) ?? undefined;
}

/**
 * The delivery a mail to the List-Unsubscribe mailto (`unsubscribe+<token>@BOUNCE_DOMAIN`) is about,
 * when its token verifies; null for any other address. A mail system may change the case of a local part.
 */
export function unsubscribeRecipient(rcpt: string, keys: ReturnPathKeys): string | null {
  const at = rcpt.lastIndexOf('@');
  if (at < 0 || rcpt.slice(at + 1).toLowerCase() !== keys.domain.toLowerCase()) return null;
  const m = /^unsubscribe\+(.+)$/.exec(rcpt.slice(0, at).toLowerCase());
  return m ? deliveryOfToken(m[1]!, keys.secret) : null;
}

/** The report a mail to the unsubscribe mailto makes, whatever it says: one per delivery (its key). */
export function unsubscribeReport(deliveryId: string, receivedAt: string): LateReport {
  const fields = { kind: 'unsubscribe' as const, recipient: null };
  return { deliveryId, receivedAt, ...fields, key: keyOf(deliveryId, fields) };
}

/**
 * Reports one returned message may make for one delivery. Our messages have one recipient each: a
 * DSN about one of them names it, or a few addresses it expanded to, never hundreds (each report is
 * a workflow started before the 250).
 */
export const MAX_REPORTS_PER_DELIVERY = 5;

export function reportsOf(parsed: ParsedInbound, envelope: Envelope, keys: ReturnPathKeys): LateReport[] {
  if (parsed.kind === 'none') return [];
  const fromHeaders = envelope.deliveryId === null;
  // A bounce goes to the envelope sender, the signed return path, never to the feedback address:
  // one there names its delivery by headers anyone can write, next to an address that is often
  // known. It could make a good contact incorrect, so it changes nothing.
  if (fromHeaders && parsed.kind === 'bounce') return [];
  const named =
    envelope.deliveryId === null
      ? deliveryOfHeaders(parsed.original, keys)
      : { deliveryId: envelope.deliveryId, proof: 'return_path' as const };
  if (named === null) return [];
  const { deliveryId, proof } = named;
  const base = { deliveryId, receivedAt: envelope.receivedAt, proof };
  if (parsed.kind === 'complaint') {
    // Only complaints unsubscribe: not-spam, auth-failure and the like are no complaint.
    if (!isComplaintFeedback(parsed.feedbackType)) return [];
    const fields = {
      kind: 'complaint' as const,
      recipient: storable(parsed.recipient, 320),
      feedbackType: parsed.feedbackType,
    };
    // The key (the workflow id): a complaint named by what we signed is the same complaint whichever
    // way it came and whatever recipient it gives (feedback loops blot it out, and it is no proof).
    // One named by headers anyone can write keys apart: a forgery sent first must never take the
    // real complaint's key, and the real one be dropped as its duplicate.
    const keyed =
      proof === 'headers' ? { ...fields, proof } : { kind: fields.kind, feedbackType: fields.feedbackType };
    return [{ ...base, ...fields, key: keyOf(deliveryId, keyed) }];
  }
  return parsed.recipients.slice(0, MAX_REPORTS_PER_DELIVERY).map((r) => {
    const fields = {
      kind: 'bounce' as const,
      recipient: storable(r.recipient, 320),
      action: r.action,
      status: storable(r.status, 32),
      diagnosticCode: r.diagnosticCode, // cleaned and bounded by the parser (cleanDiagnostic)
      remoteMta: storable(r.remoteMta, 255),
      category: r.category,
      reason: r.reason,
    };
    return { ...base, ...fields, key: keyOf(deliveryId, fields) };
  });
}

/**
 * Text from a returned message as PostgreSQL stores it: no NUL or other control character (a NUL
 * made the report's transaction fail, and retry, for ever), bounded.
 */
function storable<T extends string | null>(text: T, max: number): T {
  if (text === null) return text;
  return text.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, '').slice(0, max) as T;
}

/**
 * The delivery the returned message's headers name. First what we signed (feedback loops send the
 * whole message back, often with the recipient's address blotted out): its Return-Path, or a token
 * of its List-Unsubscribe. Then what anyone can write, our Message-ID `<delivery-<id>@…>` or
 * X-Delivery-Id: such a report counts only when it names the delivery's own recipient (checked when
 * it is applied), or anyone who knows an address could unsubscribe it.
 */
function deliveryOfHeaders(
  original: OriginalRefs,
  keys: ReturnPathKeys,
): { deliveryId: string; proof: 'signed_headers' | 'headers' } | null {
  const { returnPath = null, unsubscribeTokens = [] } = original.signed ?? {};
  const signed = [
    returnPath && deliveryOfReturnPath(returnPath, keys),
    ...unsubscribeTokens.map((t) => deliveryOfToken(t, keys.secret)),
  ].find((id): id is string => !!id);
  if (signed) return { deliveryId: signed, proof: 'signed_headers' };
  const m = /^<?delivery-([1-9][0-9]{0,18})@/.exec(original.messageId ?? '');
  // A bigint: 19 digits can still be more than PostgreSQL's id column holds.
  const id = [original.deliveryId, m?.[1]].find((id): id is string => !!id && isId(id));
  return id ? { deliveryId: id, proof: 'headers' } : null;
}

/** What the report says, hashed: the same DSN twice is the same key; the time it came is not in it. */
function keyOf(deliveryId: string, fields: Record<string, unknown>): string {
  return createHash('sha256')
    .update(JSON.stringify([deliveryId, fields]))
    .digest('hex')
    .slice(0, 24);
}
