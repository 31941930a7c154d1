/**
 * The signatures of the addresses and links we hand out (return paths, unsubscribe tokens):
 * lower-case base32 of an HMAC-SHA256, because mail systems may change the case of a local part
 * and URLs want no padding. Each use has its own purpose string, so one kind never passes for another.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';

/** `chars` base32 characters (5 bits each) of HMAC-SHA256(secret, `${purpose}:${value}`). */
export function signature(secret: string, purpose: string, value: string, chars: number): string {
  const mac = createHmac('sha256', secret).update(`${purpose}:${value}`).digest();
  let bits = 0;
  let window = 0;
  let out = '';
  for (const byte of mac) {
    window = ((window << 8) | byte) & 0xffff;
    bits += 8;
    while (bits >= 5 && out.length < chars) {
      out += ALPHABET[(window >>> (bits - 5)) & 31];
      bits -= 5;
    }
    if (out.length === chars) break;
  }
  return out;
}

/** Compares in constant time: how much of a guess was right must not show in the answer's timing. */
export function sameSignature(given: string, expected: string): boolean {
  return given.length === expected.length && timingSafeEqual(Buffer.from(given), Buffer.from(expected));
}
