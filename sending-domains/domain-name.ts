/**
 * Which names can be sending domains. A domain is asked for exactly as it will be published in DNS
 * and signed in DKIM's `d=`: lower-case ASCII without a trailing dot. Anything else is refused with
 * the form to give instead, rather than silently rewritten: the records the customer publishes must
 * be for the name they typed.
 */
import { domainToASCII, domainToUnicode } from 'node:url';
import { parse } from 'tldts';

const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const MAX_LENGTH = 253 - 'dlv00000000._domainkey.'.length;

/** Why `input` cannot be a sending domain, in words; null when it can. */
export function sendingDomainProblem(input: string): string | null {
  if (input.length === 0) return 'is empty';
  // Its DKIM record, `dlv<8 hex>._domainkey.<domain>`, must fit DNS's 253 characters too.
  if (input.length > MAX_LENGTH) return `is longer than ${MAX_LENGTH} characters`;
  if (/[\s\p{C}]/u.test(input)) return 'contains spaces or control characters';
  if (/[^\x21-\x7e]/.test(input)) {
    const ascii = domainToASCII(input.toLowerCase().replace(/\.+$/, ''));
    return ascii
      ? `is an internationalised domain name: give its ASCII form (${ascii})`
      : 'is not a valid domain name';
  }
  if (input.endsWith('.'))
    return `ends with a dot: give it without (${input.replace(/\.+$/, '').toLowerCase()})`;
  if (input !== input.toLowerCase())
    return `has capital letters: give it in lower case (${input.toLowerCase()})`;
  const labels = input.split('.');
  if (labels.length < 2) return 'is not a domain name: it has no dot';
  const bad = labels.find((l) => !LABEL.test(l));
  if (bad !== undefined) return `has an invalid label "${bad}" (letters, digits and inner hyphens only)`;
  if (/^\d+$/.test(labels.at(-1)!)) return 'is an IP address, not a domain name';
  // An A-label must be the ASCII form of some Unicode label (xn--zzz is not).
  if (labels.some((l) => l.startsWith('xn--')) && domainToASCII(domainToUnicode(input)) !== input)
    return 'has an invalid internationalised (xn--) label';
  // Private suffixes count too: nobody may claim github.io for all its users.
  const { domain, publicSuffix } = parse(input, { allowPrivateDomains: true });
  if (!domain)
    return `is a public suffix (${publicSuffix ?? input}): give a domain registered under it, such as example.${input}`;
  return null;
}
