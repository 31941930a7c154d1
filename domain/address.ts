/**
 * Email syntax as a sending platform needs it: what an MTA will accept in RCPT TO. Dot-atom local
 * parts (UTF-8 allowed, RFC 6531), domains as hostnames with at least two labels, internationalised
 * domains checked in their punycode form. Quoted local parts and IP literals are refused: no mailbox
 * provider hands them out, and they are a favourite of malformed lists.
 */

export type EmailCheck = { ok: true; email: string } | { ok: false; message: string };

// RFC 5322 atext, plus any non-ASCII character (RFC 6531), minus controls and spaces.
const LOCAL_ATOM = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~\u0080-\u{10FFFF}-]+$/u;
const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/** Trims, lower-cases the domain, and says what is wrong when it is not an address. */
export function checkEmail(input: string): EmailCheck {
  const email = input.trim();
  if (email.length === 0) return bad('is empty');
  if (CONTROL.test(email)) return bad('contains control characters');
  const at = email.lastIndexOf('@');
  if (at < 0) return bad('has no @');
  const local = email.slice(0, at);
  const domain = email.slice(at + 1).toLowerCase();

  if (local.length === 0) return bad('has nothing before the @');
  if (Buffer.byteLength(local) > 64) return bad('has a local part longer than 64 bytes');
  const atoms = local.split('.');
  if (atoms.some((a) => a.length === 0))
    return bad('has a dot at the start or end of the local part, or two in a row');
  if (!atoms.every((a) => LOCAL_ATOM.test(a))) return bad('has characters not allowed before the @');

  if (domain.length === 0) return bad('has nothing after the @');
  if (/\.[0-9]+$/.test(domain)) return bad('has a numeric top-level domain');
  const ascii = domainToAscii(domain);
  if (ascii === '') return bad('has a domain that is not a valid internationalised name');
  if (ascii.length > 253) return bad('has a domain longer than 253 characters');
  const labels = ascii.split('.');
  if (labels.length < 2) return bad('has a domain without a dot');
  if (!labels.every((l) => LABEL.test(l))) return bad('has a domain that is not a valid host name');
  if (email.length > 254) return bad('is longer than 254 characters');
  return { ok: true, email: `${local}@${domain}` };
}

/**
 * The domain's ASCII (punycode) form by IDNA, '' when it has none. The WHATWG URL parser does the
 * mapping (as Node's url.domainToASCII does) and is also there in the workflow sandbox, which has no
 * Node built-ins: domain/ stays importable by workflows.
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

function bad(what: string): EmailCheck {
  return { ok: false, message: what };
}

/** The domain part of an address, lower-cased: what DNS, the lab and the search attribute key on. */
export function recipientDomain(email: string): string {
  return email.slice(email.lastIndexOf('@') + 1).toLowerCase();
}
