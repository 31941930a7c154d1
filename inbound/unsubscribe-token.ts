/**
 * The one-click unsubscribe token of a message (RFC 8058): `<deliveryId>.<signature>`, in the
 * List-Unsubscribe URL (`/u/<token>`) and mailto (`unsubscribe+<token>@BOUNCE_DOMAIN`). Whoever holds
 * it may unsubscribe that delivery's contact, so it is signed: lower-case base32 (URL-safe, and a mail
 * system may change the case of a local part) of an HMAC-SHA256 under BOUNCE_SECRET with its own
 * purpose string, so that no return-path signature is ever a valid token.
 */
import { isId } from '../domain/ids';
import { sameSignature, signature } from './signature';

/** 26 base32 characters: 130 bits of the HMAC. */
const SIGNATURE_CHARS = 26;
const TOKEN = /^([1-9][0-9]{0,18})\.([a-z2-7]{26})$/;

export function tokenFor(deliveryId: string, secret: string): string {
  if (!/^[1-9][0-9]{0,18}$/.test(deliveryId)) throw new Error(`not a delivery id: ${deliveryId}`);
  return `${deliveryId}.${signature(secret, 'unsubscribe', deliveryId, SIGNATURE_CHARS)}`;
}

/** The delivery a token names, when we signed it; null for anything else (forged, altered, cut). */
export function deliveryOfToken(token: string, secret: string): string | null {
  const m = TOKEN.exec(token);
  if (!m) return null;
  const [, deliveryId, given] = m as unknown as [string, string, string];
  return isId(deliveryId) &&
    sameSignature(given, signature(secret, 'unsubscribe', deliveryId, SIGNATURE_CHARS))
    ? deliveryId
    : null;
}
