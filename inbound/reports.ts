/**
 * From a returned message to the late reports it carries: which delivery each is about, and a key
 * that is the same when the same report comes twice. Pure: the listener does the I/O.
 */
import { createHash } from 'node:crypto';
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

export function reportsOf(parsed: ParsedInbound, envelope: Envelope): LateReport[] {
  if (parsed.kind === 'none') return [];
  const fromHeaders = envelope.deliveryId === null;
  const deliveryId = envelope.deliveryId ?? deliveryOfHeaders(parsed.original);
  if (deliveryId === null) return [];
  // Without a signed return path the delivery is named by headers anyone can write: the report
  // must then name the delivery's own recipient (checked when it is applied).
  const proof = fromHeaders ? ('headers' as const) : ('return_path' as const);
  const base = { deliveryId, receivedAt: envelope.receivedAt, proof };
  if (parsed.kind === 'complaint') {
    // Only complaints unsubscribe: not-spam, auth-failure and the like are no complaint.
    if (!isComplaintFeedback(parsed.feedbackType)) return [];
    const fields = {
      kind: 'complaint' as const,
      recipient: parsed.recipient,
      feedbackType: parsed.feedbackType,
    };
    return [{ ...base, ...fields, key: keyOf(deliveryId, fields) }];
  }
  return parsed.recipients.map((r) => {
    const fields = {
      kind: 'bounce' as const,
      recipient: r.recipient,
      action: r.action,
      status: r.status,
      diagnosticCode: r.diagnosticCode,
      remoteMta: r.remoteMta,
      category: r.category,
      reason: r.reason,
    };
    return { ...base, ...fields, key: keyOf(deliveryId, fields) };
  });
}

/** Our Message-ID is `<delivery-<id>@…>`; the returned message may also carry X-Delivery-Id. */
function deliveryOfHeaders(original: OriginalRefs): string | null {
  if (original.deliveryId && /^[1-9][0-9]{0,18}$/.test(original.deliveryId)) return original.deliveryId;
  const m = /^<?delivery-([1-9][0-9]{0,18})@/.exec(original.messageId ?? '');
  return m?.[1] ?? null;
}

/** What the report says, hashed: the same DSN twice is the same key; the time it came is not in it. */
function keyOf(deliveryId: string, fields: Record<string, unknown>): string {
  return createHash('sha256')
    .update(JSON.stringify([deliveryId, fields]))
    .digest('hex')
    .slice(0, 24);
}
