/**
 * Small pieces the bounce parser shares: addresses, SMTP reply codes and RFC 3463 status codes found in
 * free text, and the verdict of domain/classification.ts for one reported recipient. Every regex here is
 * linear (no nested or overlapping quantifiers) and runs on bounded strings: the input is hostile.
 */
import { classify, type BounceCategory } from '../domain/classification';
import { cleanReply } from '../domain/reply';

export type Action = 'failed' | 'delayed' | 'delivered' | 'relayed' | 'expanded';

/** The longest address we report (RFC 5321: 64 + 1 + 255). */
const MAX_ADDRESS = 320;
const ADDRESS_STOP = /[\s<>()[\]",;\\]/;

/** `bob@example.org` as a plausible mailbox: one @, a local part, a dotted domain, no spaces or brackets. */
export function isAddress(s: string): boolean {
  if (s.length < 3 || s.length > MAX_ADDRESS || ADDRESS_STOP.test(s)) return false;
  const at = s.lastIndexOf('@');
  if (at < 1 || at !== s.indexOf('@')) return false;
  const local = s.slice(0, at);
  const domain = s.slice(at + 1);
  if (local.length > 64 || local.startsWith('.') || local.endsWith('.')) return false;
  if (domain.includes(':')) return false;
  return (
    domain.includes('.') &&
    !domain.startsWith('.') &&
    !domain.endsWith('.') &&
    !domain.startsWith('-') &&
    !domain.includes('..')
  );
}

/**
 * Trims what surrounds an address in prose and reports: brackets and quotes (full-width ones too),
 * `mailto:`, a label glued on before a colon (MailEnable's `[SMTP:bob@x]`, Japanese `宛先：bob@x`: a
 * colon cannot stand unquoted in a local part), trailing punctuation.
 */
export function tidyAddress(token: string): string {
  let s = token.trim();
  // Strip at most a few layers of wrapping: `<bob@x>`, `"bob@x"`, `(bob@x)`, `'bob@x',`, `（bob@x）`.
  for (let i = 0; i < 4; i++) {
    const before = s;
    s = s.replace(/^[<("'[（「【《＜]+/, '').replace(/[>)"'\]:;,.）」】》＞。、，：；]+$/, '');
    const at = s.indexOf('@');
    const label = at > 0 ? Math.max(s.lastIndexOf(':', at), s.lastIndexOf('：', at)) : -1;
    if (label >= 0) s = s.slice(label + 1);
    if (s === before) break;
  }
  return s;
}

/**
 * The first address in a DSN address field (`rfc822; <bob@example.org>`, `utf-8; josé@example.org`) or
 * in a short piece of text. RFC 3461 xtext (`+2B` for `+`) is decoded when `xtext` is set (ORCPT values).
 */
export function findAddress(value: string, xtext = false): string | null {
  let v = value.slice(0, 2000).trim();
  const semi = v.indexOf(';');
  if (semi > 0 && semi < 20 && /^[A-Za-z][A-Za-z0-9-]*$/.test(v.slice(0, semi).trim())) {
    v = v.slice(semi + 1).trim();
  }
  if (xtext) v = v.replace(/\+([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  // RFC 6533's utf-8-addr-xtext: `j\x{FC}rgen@…` (Postfix, mox write it; a backslash is in no address).
  v = v.replace(/\\x\{([0-9A-Fa-f]{1,6})\}/g, (m, hex: string) => {
    const cp = parseInt(hex, 16);
    return cp > 0x1f && cp <= 0x10ffff ? String.fromCodePoint(cp) : m;
  });
  const bracketed = /<([^<>\s]{3,320})>/.exec(v);
  if (bracketed?.[1] && isAddress(tidyAddress(bracketed[1]))) return tidyAddress(bracketed[1]);
  for (const token of v.split(/[\s,，、]+/, 50)) {
    const t = tidyAddress(token);
    if (isAddress(t)) return t;
  }
  return null;
}

/** Every address in a comma/space separated list (X-Failed-Recipients), at most `max`. */
export function findAddresses(value: string, max = 50): string[] {
  const out: string[] = [];
  for (const token of value.slice(0, 20_000).split(/[\s,;，、；]+/, 500)) {
    const t = tidyAddress(token);
    if (isAddress(t) && !out.some((a) => sameAddress(a, t))) out.push(t);
    if (out.length >= max) break;
  }
  return out;
}

export function sameAddress(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

// A basic reply code where a reply starts: not inside a number, an IP address, a time or a path.
const REPLY_CODE = /(?:^|[^\w.:/-])([245]\d\d)(?=[ -]|$)/g;
const ENHANCED_AFTER = /^[ -]#?([245])\.\d{1,3}\.\d{1,3}(?!\d)/;
// An RFC 3463 code standing on its own: `5.1.1`, `#5.1.1`, `(#5.1.1)`; not the tail of `10.5.1.1`.
const ENHANCED = /(?:^|[^\w.])([245])\.(\d{1,3})\.(\d{1,3})(?![\d]|\.\d)/;

/**
 * The SMTP reply inside a diagnostic (`host mx said: 550 5.1.1 <a@b>: User unknown` → from `550` on):
 * the first reply code followed by an enhanced code of its class, else the first 4xx/5xx code.
 */
export function smtpReplyIn(text: string): string | null {
  const s = text.slice(0, 4000);
  REPLY_CODE.lastIndex = 0;
  let first: number | null = null;
  let m: RegExpExecArray | null;
  for (let n = 0; n < 40 && (m = REPLY_CODE.exec(s)) !== null; n++) {
    const code = m[1] ?? '';
    const start = m.index + m[0].length - code.length;
    const after = ENHANCED_AFTER.exec(s.slice(start + 3, start + 16));
    if (after && after[1] === code[0]) return s.slice(start).trim();
    if (first === null && code[0] !== '2') first = start;
  }
  return first === null ? null : s.slice(first).trim();
}

/** The first RFC 3463 status code in a text, as `5.1.1`. */
export function enhancedIn(text: string): string | null {
  const m = ENHANCED.exec(text.slice(0, 4000));
  return m ? `${m[1]}.${Number(m[2])}.${Number(m[3])}` : null;
}

/** A DSN `Status:` value (`5.1.1`, `5.1.1 (user unknown)`) as a code, or null when it holds none. */
export function statusCode(value: string | undefined): string | null {
  if (!value) return null;
  const m =
    /^[ \t]*([245])\.(\d{1,3})\.(\d{1,3})(?!\d)/.exec(value.slice(0, 200)) ??
    ENHANCED.exec(value.slice(0, 200));
  return m ? `${m[1]}.${Number(m[2])}.${Number(m[3])}` : null;
}

/** RFC 3464 `Action:` values, and the misspellings MTAs use for them. */
export function normalizeAction(value: string | undefined): Action | null {
  const word =
    (value ?? '')
      .trim()
      .toLowerCase()
      .split(/[\s;(,]/, 1)[0] ?? '';
  if (/^(failed|failure|fail|bounced?|error|expired|rejected|undeliverable|permanent)$/.test(word))
    return 'failed';
  if (/^(delayed|delay|deferred|retrying|transient|temporary)$/.test(word)) return 'delayed';
  if (/^(delivered|deliverable|success|sent)$/.test(word)) return 'delivered';
  if (word === 'relayed') return 'relayed';
  if (word === 'expanded') return 'expanded';
  return null;
}

/** A diagnostic as it is kept: one line, unsafe characters replaced, cut at 2,000 characters. */
export function cleanDiagnostic(text: string | null | undefined): string | null {
  if (text == null) return null;
  const one = text.replace(/[ \t\r\n]+/g, ' ').trim();
  return one === '' ? null : cleanReply(one);
}

// Reasons an MTA writes in its own words, without any code (qmail, Exim, Gmail, ...): the status
// they stand for, so that the classification does not fall back to "5xx = unknown user".
const IMPLIED: readonly [RegExp, string][] = [
  [
    /timed? ?out|connection (refused|reset|died|lost|closed)|network is unreachable|no route to host|host (is )?unreachable|in the queue too long|too long in (the )?queue|retry time(out)? (exceeded|not reached)|has been failing for a long time|message (has )?expired|could not be delivered (for|within)|could not contact dns|dns error: could not/i,
    '4.4.7',
  ],
  [
    /(couldn't|could not|can't|cannot) find any host|host (or domain )?(name )?not found|domain (name )?not found|no such domain|unrouteable|unroutable|no mx (record|host)|dns error: domain/i,
    '5.1.2',
  ],
  [/too many hops|mail loop|routing loop|loops back to myself/i, '5.4.6'],
];

export type Verdict = { category: BounceCategory; reason: string };

const ACTION_CLASS: Record<Action, string> = {
  failed: '5',
  delayed: '4',
  delivered: '2',
  relayed: '2',
  expanded: '2',
};

/**
 * The classification of one reported recipient: the SMTP reply in its diagnostic when there is one;
 * else its status code (`500 5.1.1 <diagnostic>`); else a status its wording implies; else the class
 * its action stands for, with the diagnostic's words for the wording rules.
 */
/**
 * `context`: the prose around the reply (a DSN's text part about the same recipient), which may say at
 * which command the reply came.
 */
export function verdictFor(
  diagnostic: string | null,
  status: string | null,
  action: Action,
  context: string | null = null,
): Verdict {
  const text = (diagnostic ?? '').slice(0, 2000);
  const reply = smtpReplyIn(text);
  const input = reply
    ? reply
    : status
      ? `${status[0]}00 ${status} ${text}`
      : impliedInput(text, ACTION_CLASS[action]);
  const { category, reason, rule } = classifyReport(input.trim(), reply, status);
  // Nothing but the class of a code decided (no status beyond x.0.0, no words we know: a language we
  // do not read, a gateway's own phrase): a failure of unknown cause is a technical problem, never a
  // reason to take the contact out of its groups. A report does not say at which command the reply
  // came, and a refusal of our IP or content reads the same as one of the address.
  // Unless the report says the reply answered RCPT TO, as Postfix ("in reply to RCPT TO command"),
  // Exim ("after RCPT TO"), sendmail (">>> RCPT To") and hMailServer ("sent: RCPT TO") do: then it is
  // the address's, as during a session.
  if (rule === 'fallback.5xx' && reply && AT_RCPT.test(`${text} ${(context ?? '').slice(0, 2000)}`))
    return { category, reason };
  if (rule === 'fallback.5xx')
    return reply
      ? { category: 'blocked', reason: 'server_rejected' }
      : { category: 'soft_bounce', reason: 'unreadable_reply' };
  // The reply read alone loses the transcript around it: `hMailServer sent: MAIL FROM:<…>` before a
  // "mailbox unavailable" says the refusal came before our recipient was named, so it is not hers.
  if (category === 'hard_bounce' && reply && classify(text).rule === 'wording.before_recipient')
    return { category: 'blocked', reason: 'policy' };
  return { category, reason };
}

const AT_RCPT = /(in reply to|after( pipelined)?) rcpt to\b|>>>\s*rcpt to|\bsent: rcpt to\b/i;

/**
 * A remote reply is classified as it is, unless only its bare basic code decided (no enhanced code,
 * no words we know): then with the report's own status as its enhanced code (`554 Transaction failed`
 * + `Status: 5.7.1` is a policy refusal). Never over a verdict its words gave: some MTAs make the
 * status up from the basic code alone (sendmail: 553 → 5.1.0), and `553 your IP is blocked` stays
 * a policy refusal.
 */
function classifyReport(input: string, reply: string | null, status: string | null) {
  const alone = classify(input);
  if (!reply || !status || alone.enhancedCode !== null || alone.rule.startsWith('wording.')) return alone;
  return classify(withStatus(reply, status));
}

/** The reply with `status` put in as its enhanced code. */
function withStatus(reply: string, status: string): string {
  if (status.endsWith('.0.0')) return reply;
  const m = /^(#?[2-5]\d\d)([ :-]?)\s*/.exec(reply);
  return m && status[0] === m[1]!.replace('#', '')[0]
    ? `${m[1]} ${status} ${reply.slice(m[0].length)}`
    : reply;
}

function impliedInput(text: string, cls: string): string {
  if (cls !== '2') {
    for (const [re, status] of IMPLIED) if (re.test(text)) return `${status[0]}00 ${status} ${text}`;
  }
  return `${cls}00 ${text}`;
}
