/**
 * The one-click unsubscribe token of a message (RFC 8058): `<deliveryId>.<signature>`, in the
 * List-Unsubscribe URL (`/u/<token>`) and mailto (`unsubscribe+<token>@BOUNCE_DOMAIN`). Whoever holds
 * it may unsubscribe that delivery's contact, so it is signed: lower-case base32 (URL-safe, and a mail
 * system may change the case of a local part) of an HMAC-SHA256 under BOUNCE_SECRET with its own
 * purpose string, so that no return-path signature is ever a valid token.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** 26 base32 characters: 130 bits of the HMAC. */
const SIGNATURE_CHARS = 26;
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';
const TOKEN = /^([1-9][0-9]{0,18})\.([a-z2-7]{26})$/;

export function tokenFor(deliveryId: string, secret: string): string {
  if (!/^[1-9][0-9]{0,18}$/.test(deliveryId)) throw new Error(`not a delivery id: ${deliveryId}`);
  return `${deliveryId}.${signature(deliveryId, secret)}`;
}

/** The delivery a token names, when we signed it; null for anything else (forged, altered, cut). */
export function deliveryOfToken(token: string, secret: string): string | null {
  const m = TOKEN.exec(token);
  if (!m) return null;
  const [, deliveryId, given] = m as unknown as [string, string, string];
  const expected = signature(deliveryId, secret);
  return timingSafeEqual(Buffer.from(given), Buffer.from(expected)) ? deliveryId : null;
}

function signature(deliveryId: string, secret: string): string {
  const mac = createHmac('sha256', secret).update(`unsubscribe:${deliveryId}`).digest();
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of mac) {
    value = ((value << 8) | byte) & 0xffff;
    bits += 8;
    while (bits >= 5 && out.length < SIGNATURE_CHARS) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    if (out.length === SIGNATURE_CHARS) break;
  }
  return out;
}
