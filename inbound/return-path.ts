/**
 * The envelope sender of every message names its delivery and is signed (VERP with an HMAC):
 * `bounces+<deliveryId>-<signature>@<BOUNCE_DOMAIN>`. Bounces come back to it; only an address we
 * signed can touch a delivery, so a forged or garbled bounce changes nothing. The signature is
 * lower-case base32 (mail systems may change the case of a local part) of an HMAC-SHA256.
 */
import { sameSignature, signature } from './signature';

export type ReturnPathKeys = { secret: string; domain: string };

const PREFIX = 'bounces';
/** 16 base32 characters: 80 bits of the HMAC, far beyond guessing by sending mail. */
const SIGNATURE_CHARS = 16;

export function returnPathFor(deliveryId: string, keys: ReturnPathKeys): string {
  return `${PREFIX}+${deliveryId}-${signature(keys.secret, 'return-path', deliveryId, SIGNATURE_CHARS)}@${keys.domain}`;
}

/**
 * The delivery a return path names, when we signed it; null for anything else (another domain, an
 * unsigned `bounces+<id>@` address of before, a wrong or cut signature).
 */
export function deliveryOfReturnPath(address: string, keys: ReturnPathKeys): string | null {
  const at = address.lastIndexOf('@');
  if (at < 0 || address.slice(at + 1).toLowerCase() !== keys.domain.toLowerCase()) return null;
  const m = /^bounces\+([1-9][0-9]{0,18})-([a-z2-7]+)$/.exec(address.slice(0, at).toLowerCase());
  if (!m) return null;
  const [, deliveryId, given] = m as unknown as [string, string, string];
  const expected = signature(keys.secret, 'return-path', deliveryId, SIGNATURE_CHARS);
  return sameSignature(given, expected) ? deliveryId : null;
}
