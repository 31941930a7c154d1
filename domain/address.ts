/**
 * Email addresses as a sending platform needs them: what an MTA will accept in RCPT TO, written one
 * way. Dot-atom local parts (UTF-8 allowed, RFC 6531), domains as hostnames with at least two labels.
 * Quoted local parts and IP literals are refused: no mailbox provider hands them out, and they are a
 * favourite of malformed lists. Pure code with no Node built-ins: workflows import this module too.
 *
 * One address, one spelling (see docs/delivery-rules.md#addresses):
 * - stored for sending: the local part as written, in NFC (letter case kept: a server may care), and
 *   the domain in its ASCII form by IDNA (UTS 46: full-width letters, upper case and Unicode all map
 *   to one lower-case punycode name);
 * - the key (`emailKey`): the same with the local part lower-cased. Two addresses with one key are
 *   one mailbox: one contact per account, one delivery per mailing.
 * - refused: invisible characters (zero-width space and joiners, soft hyphen, word joiner, BOM, any
 *   other format character) and bidirectional controls, anywhere: they make different addresses
 *   look the same.
 */

export type EmailCheck = { ok: true; email: string; key: string } | { ok: false; message: string };

// RFC 5322 atext, plus any non-ASCII character (RFC 6531) that is not a control, format, surrogate,
// private-use or unassigned code point (\p{C}) or a space (\p{Z}).
const LOCAL_ATOM = /^(?:[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]|(?![\p{C}\p{Z}])[\u0080-\u{10FFFF}])+$/u;
const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
// Bidirectional controls: marks (LRM, RLM, ALM), embeddings and overrides, isolates.
const BIDI = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/u;
// Every format character (U+200B–U+200D, U+2060–U+2064, U+FEFF, U+00AD, ...) and the rest of
// Unicode's default-ignorable code points (variation selectors, Hangul fillers, ...): none shows.
const INVISIBLE = /[\p{Cf}\p{Default_Ignorable_Code_Point}]/u;
const INVISIBLE_ALL = new RegExp(INVISIBLE.source, 'gu');

/**
 * Trims, refuses what is not an address (saying why), and answers the address as it is stored for
 * sending (local part in NFC, ASCII domain) with its key.
 */
export function checkEmail(input: string): EmailCheck {
  // Before trimming: trim() would silently drop a leading BOM.
  const hidden = BIDI.exec(input) ?? INVISIBLE.exec(input);
  if (hidden) {
    const kind = BIDI.test(hidden[0]) ? 'a bidirectional control character' : 'an invisible character';
    return bad(`contains ${kind} (${codePoint(hidden[0])})`);
  }
  const email = input.trim();
  if (email.length === 0) return bad('is empty');
  if (CONTROL.test(email)) return bad('contains control characters');
  const at = email.lastIndexOf('@');
  if (at < 0) return bad('has no @');
  const local = email.slice(0, at).normalize('NFC');
  const domain = email.slice(at + 1);

  if (local.length === 0) return bad('has nothing before the @');
  if (utf8Length(local) > 64) return bad('has a local part longer than 64 bytes');
  const atoms = local.split('.');
  if (atoms.some((a) => a.length === 0))
    return bad('has a dot at the start or end of the local part, or two in a row');
  if (!atoms.every((a) => LOCAL_ATOM.test(a))) return bad('has characters not allowed before the @');

  if (domain.length === 0) return bad('has nothing after the @');
  if (/\.[0-9]+$/.test(domain)) return bad('has a numeric top-level domain');
  const ascii = domainToAscii(domain);
  if (ascii === '') return bad('has a domain that is not a valid internationalised name');
  if (ascii.length > 253) return bad('has a domain longer than 253 characters');
  // RFC 5321 has no root dot: `ann@ok.test.` would be refused by the MTA.
  if (ascii.endsWith('.')) return bad('has a dot at the end of the domain');
  const labels = ascii.split('.');
  if (labels.length < 2) return bad('has a domain without a dot');
  if (!labels.every((l) => LABEL.test(l))) return bad('has a domain that is not a valid host name');
  const stored = `${local}@${ascii}`;
  if (utf8Length(stored) > 254) return bad('is longer than 254 bytes');
  return { ok: true, email: stored, key: emailKey(stored) };
}

/**
 * The key of an address: one mailbox, one key. The local part in NFC and lower case, the domain in
 * its ASCII form by IDNA. Total, for any string: an address stored before the check refused
 * invisible characters gets them dropped, so that it meets its visible twin; a domain that has no
 * ASCII form is only lower-cased. For what `checkEmail` accepts, `emailKey(email)` is its `key`.
 */
export function emailKey(address: string): string {
  const s = address.replace(INVISIBLE_ALL, '').trim().normalize('NFC');
  const at = s.lastIndexOf('@');
  const caseless = (part: string) => part.toLowerCase().normalize('NFC');
  if (at < 0) return caseless(s);
  const domain = s.slice(at + 1);
  return `${caseless(s.slice(0, at))}@${domainToAscii(domain) || domain.toLowerCase()}`;
}

/**
 * The domain's ASCII (punycode) form by IDNA, '' when it has none. The WHATWG URL parser does the
 * mapping (UTS 46, as Node's url.domainToASCII does: full-width forms, case, NFC) and is also there
 * in the workflow sandbox, which has no Node built-ins: domain/ stays importable by workflows.
 */
function domainToAscii(domain: string): string {
  // Characters the URL parser would read as something other than a host, or decode (%).
  if (/[\s/?#:@\\[\]%]/.test(domain)) return '';
  try {
    const host = new URL(`http://${domain}`).hostname;
    // The URL parser reads all-numeric hosts (0x7f.0x1) as IPv4 addresses: not a domain.
    return /^[0-9.]+$/.test(host) ? '' : host;
  } catch {
    return '';
  }
}

/** Bytes in UTF-8 (what the RFC 5321 limits count), without Node's Buffer. */
function utf8Length(s: string): number {
  let n = 0;
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    n += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
  }
  return n;
}

const codePoint = (ch: string) => `U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;

function bad(what: string): EmailCheck {
  return { ok: false, message: what };
}

/** The domain part of an address, lower-cased: what DNS, the lab and the search attribute key on. */
export function recipientDomain(email: string): string {
  return email.slice(email.lastIndexOf('@') + 1).toLowerCase();
}
