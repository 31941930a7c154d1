/**
 * Bounces written as prose instead of (or besides) an RFC 3464 report: Exim, qmail, old Postfix,
 * Sendmail transcripts, Exchange 2003/2007, old Gmail, Yahoo, old Hotmail, and MTAs alike. They share
 * a shape: a preamble, then each failed address on a line of its own (`<bob@example.org>:`,
 * `  bob@example.org`, `bob@example.org on <date>`, `>>> RCPT To:<bob@example.org>`), then the reason,
 * then a copy of the returned message. The reader works on that shape, not on one MTA's exact words,
 * so that formats it has never seen still parse. Bounded: at most MAX_LINES lines of MAX_LINE characters.
 */
import { cleanDiagnostic, enhancedIn, findAddress, isAddress, smtpReplyIn, tidyAddress } from './parse-util';

export type TextReport = { recipient: string; diagnostic: string | null; remoteMta: string | null };

const MAX_LINES = 4_000;
const MAX_LINE = 1_000;
const MAX_BLOCK = 30;

export function lines(text: string): string[] {
  return text.split(/\r\n|\r|\n/, MAX_LINES).map((l) => l.slice(0, MAX_LINE).trimEnd());
}

// Where the copy of the returned message starts (Exim, qmail, Gmail, Sendmail, Exchange, Outlook, ...).
const ORIGINAL_MARKER =
  /^(?:-+ ?)?(?:this is a copy of the message|below (?:this|the next) line is a copy of the (?:message|mail header)|original message|(?:unsent|returned|undelivered|bounced) message(?: (?:follows|below)|[ -]*$)|(?:the )?headers? of the original message|message header follows|begin (?:original|returned) message|included is a copy of the message|the following is a copy of the message|original message headers?|en-t[êe]tes de message d'origine|urspr[üu]ngliche nachricht|mensaje original)/i;
const HEADER_LINE =
  /^(?:Return-Path|Received|From|To|Subject|Date|Message-I[Dd]|MIME-Version|Content-Type|Reply-To|Sender|Delivered-To|DKIM-Signature|X-[A-Za-z0-9-]{1,60}):/i;
const HEADER_ANCHOR = /^(?:Return-Path|Received|Message-I[Dd]|Date|From):/i;

/** The report (before the copy of the returned message) and the copy, when there is one. */
export function splitReport(all: string[]): { report: string[]; original: string[] | null } {
  for (let i = 0; i < all.length; i++) {
    const t = (all[i] ?? '').trim();
    if (t !== '' && ORIGINAL_MARKER.test(t)) return { report: all.slice(0, i), original: all.slice(i + 1) };
    // No marker: three header lines in a row at the left margin, one of them a message's own.
    if (i > 0 && headerRun(all, i)) return { report: all.slice(0, i), original: all.slice(i) };
  }
  return { report: all, original: null };
}

function headerRun(all: string[], i: number): boolean {
  let anchor = false;
  for (let k = i; k < i + 3; k++) {
    const l = all[k] ?? '';
    if (!HEADER_LINE.test(l)) return false;
    if (HEADER_ANCHOR.test(l)) anchor = true;
  }
  return anchor;
}

type AddressLine = { address: string; rest: string };

// Transcripts: `>>> RCPT To:<bob@x>` (Sendmail, Courier), `Sent <<< RCPT TO:<bob@x>` (InterScan),
// `RCPT TO: bob@x` (James).
const RCPT_LINE =
  /^(?:[<>-]{1,3}[ \t]*|(?:Sent|Out|In)[ \t]*:?[ \t]*[<>]{0,3}[ \t]*)?RCPT TO:[ \t]*<?([^<>\s]{3,320})/i;
// A label, then the address: `Addresses failed: bob@x` (Verizon), `Recipient address: bob@x` (Exchange),
// `Unknown user: bob@x` (iMail: then the label is the reason).
const LABEL_LINE = /^([^:@<>]{2,60}):[ \t]*<?([^<>\s,;]{3,320}?)>?[ \t]*$/;
const PLAIN_LABEL =
  /^(?:addresses? failed|failed (?:address(?:es)?|recipients?)|(?:original |final |intended )?recipients?(?: address(?:es)?)?|address(?:es)?|to|rcpt|destinatario|empf(?:ä|ae)nger|destinataire)$/i;
const FAILED_TO_DELIVER = /^failed to deliver to[ \t]+'?<([^<>\s]{3,320})>'?[ \t]*$/i;
// Labels whose value looks like an address and is none of the failed ones: senders, and ids
// (`Message-id: <delivery-42@mail.example>`, in Sun/Oracle Messaging Server's report).
const SENDER_LABEL =
  /^(?:from|sender|reply-to|return-path|mail from|envelope-from|cc|bcc|sent by|x-[a-z0-9-]+|message[- ]?id|msgid|in-reply-to|references|content-id|(?:original-)?envelope-id|queue[- ]?id|差出人|送信者|発信者|送信元|发件人|寄件人|寄件者)$/i;
// List bullets before an address: `  * bob@x`, `- bob@x`, `• bob@x`, MDaemon's `>    bob@x`.
const BULLET = /^(?:[*•·>-]|\d{1,3}[.)])[ \t]+/;
// A banner rule above a list (`|------ Failed addresses follow: ------|`, T-Online): what is under
// it is no continuation of it.
const BANNER = /[-=_*#]{5,}/;

/** A line that names a failed address at its start, in one of the shapes MTAs use. */
export function addressLine(line: string): AddressLine | null {
  const t = line.trim().replace(BULLET, '');
  if (t.length < 3) return null;
  // CommuniGate Pro: `Failed to deliver to '<bob@x>'`, its module's reason on the lines under it.
  const cgp = FAILED_TO_DELIVER.exec(t);
  if (cgp) {
    const a = tidyAddress(cgp[1] ?? '');
    return isAddress(a) ? { address: a, rest: '' } : null;
  }
  const rcpt = RCPT_LINE.exec(t);
  if (rcpt) {
    const a = tidyAddress(rcpt[1] ?? '');
    return isAddress(a) ? { address: a, rest: '' } : null;
  }
  if (t.startsWith('<')) {
    const end = t.indexOf('>');
    if (end < 4 || end > 330) return null;
    const a = t.slice(1, end).trim();
    return isAddress(a) ? { address: a, rest: restAfter(t.slice(end + 1)) } : null;
  }
  const token = t.split(/[ \t]/, 1)[0] ?? '';
  // `"bob@x":` (GMX), `bob@x<mailto:bob@x>` (HTML turned into text), `bob@x:`.
  const bare = token.split('<', 1)[0] ?? '';
  const a = tidyAddress(bare);
  // A label glued on is cut off by tidyAddress (`宛先：bob@x`, a table row run together): a sender's
  // or an id's (`From:news@x`, `Message-ID:delivery-42@x`) makes it no failed recipient.
  if (!isAddress(a) || SENDER_LABEL.test(gluedLabel(bare))) return null;
  const after = t.slice(token.length);
  if (token.endsWith(':')) return { address: a, rest: after.trim() };
  if (after.trim() === '') return { address: a, rest: '' };
  if (/^[ \t]+on[ \t]/i.test(after)) return { address: a, rest: '' }; // Exchange 2003: `bob@x on <date>`
  if (/^[ \t]*(?:\.\.\.|\(|<|:|\[)/.test(after)) return { address: a, rest: restAfter(after) };
  return null;
}

/** The label glued before the address of one token (`From:bob@x`, `差出人：bob@x`), or ''. */
function gluedLabel(token: string): string {
  const at = token.indexOf('@');
  const colon = at > 0 ? Math.max(token.lastIndexOf(':', at), token.lastIndexOf('：', at)) : -1;
  return colon > 0 ? token.slice(0, colon).replace(/^[<("'[（「【《＜]+/, '') : '';
}

/** A labelled address line (`Addresses failed: bob@x`): read only when no line starts with one. */
export function labelLine(line: string): AddressLine | null {
  const m = LABEL_LINE.exec(line.trim().slice(0, 400));
  const label = (m?.[1] ?? '').trim();
  const a = m ? tidyAddress(m[2] ?? '') : '';
  if (!isAddress(a) || SENDER_LABEL.test(label)) return null;
  return { address: a, rest: PLAIN_LABEL.test(label) ? '' : label };
}

function restAfter(s: string): string {
  let r = s.trim();
  r = r.replace(/^\((?:expanded from|generated from|alias of)[^)]{0,340}\)/i, '').trim();
  r = r.replace(/^<[^<>]{0,330}>/, '').trim();
  r = r.replace(/^\[mailto:[^\]]{0,330}\]/i, '').trim();
  r = r.replace(/^(?:\.\.\.|:)/, '').trim();
  return r;
}

const UNWANTED_LOCAL =
  /^(?:postmaster|mailer-daemon|mailer_daemon|mail-daemon|mailerdaemon|abuse|root|noreply|no-reply)$/i;

/** Addresses that are never the failed recipient: ours (the return path, the sender) and the MTA's own. */
export function excluded(address: string, exclude: ReadonlySet<string>): boolean {
  const lower = address.toLowerCase();
  return exclude.has(lower) || UNWANTED_LOCAL.test(lower.slice(0, lower.indexOf('@')));
}

/**
 * Each failed address the report names at the start of a line, with the reason written under it (or
 * after it on the same line). An address named twice (Exchange names it again under "Diagnostic
 * information for administrators") keeps the reason that holds an SMTP reply.
 */
export function textReports(report: string[], exclude: ReadonlySet<string>): TextReport[] {
  let found = addressLines(report, exclude, addressLine);
  if (found.length === 0) found = addressLines(report, exclude, labelLine);
  const whole = reportDiagnostic(report);
  const out: TextReport[] = [];
  found.forEach(({ line, at }, k) => {
    const end = Math.min(found[k + 1]?.line ?? report.length, line + 1 + MAX_BLOCK);
    const block = [at.rest, ...report.slice(line + 1, end)];
    // Some write the reason above the address (Lotus Notes): the lines right above it, no blank between.
    const diagnostic = diagnosticOf(block) ?? diagnosticOf(linesAbove(report, line)) ?? whole;
    const remoteMta = remoteMtaIn(block.join(' '));
    const same = out.find((r) => r.recipient.toLowerCase() === at.address.toLowerCase());
    if (!same) out.push({ recipient: at.address, diagnostic, remoteMta });
    else {
      if (rank(diagnostic) > rank(same.diagnostic)) same.diagnostic = diagnostic;
      same.remoteMta ??= remoteMta;
    }
  });
  return out;
}

function addressLines(
  report: string[],
  exclude: ReadonlySet<string>,
  read: (line: string) => AddressLine | null,
): { line: number; at: AddressLine }[] {
  const found: { line: number; at: AddressLine }[] = [];
  for (let i = 0; i < report.length && found.length < 200; i++) {
    const at = read(report[i] ?? '');
    if (at && !excluded(at.address, exclude) && !continues(report, i)) found.push({ line: i, at });
  }
  return found;
}

const indent = (l: string) => (/^[ \t]*/.exec(l)?.[0] ?? '').replace(/\t/g, '    ').length;

/**
 * An indented line that goes on from a deeper-reaching line above it is a continuation, even when it
 * starts with an address (Postfix folds `<bob@x>: host ... said: 550 5.1.1` onto `    <bob@x>: User
 * unknown`); a list of addresses at one indentation (Hotmail), Exim's address under its reasons, or an
 * address under an introduction ending in `:` is not.
 */
function continues(report: string[], i: number): boolean {
  const line = report[i] ?? '';
  const above = report[i - 1] ?? '';
  if (
    i === 0 ||
    above.trim() === '' ||
    above.trim().endsWith(':') ||
    BANNER.test(above) ||
    indent(line) <= indent(above)
  )
    return false;
  const at = addressLine(above);
  return !at || at.rest !== '';
}

/** Up to three non-empty lines right above line i that are no address lines and no label ending in ':'. */
function linesAbove(report: string[], i: number): string[] {
  const out: string[] = [];
  for (let k = i - 1; k >= 0 && k >= i - 3; k--) {
    const l = report[k] ?? '';
    if (l.trim() === '' || addressLine(l) || l.trim().endsWith(':')) break;
    out.unshift(l);
  }
  return out;
}

function rank(d: string | null): number {
  if (!d) return 0;
  if (smtpReplyIn(d)) return 3;
  return enhancedIn(d) ? 2 : 1;
}

/** The paragraphs of a block of lines, each joined into one line (transcript arrows dropped). */
function paragraphs(block: string[]): string[] {
  const out: string[] = [];
  let cur: string[] = [];
  for (const l of block) {
    if (l.trim() === '') {
      if (cur.length) out.push(cur.join(' '));
      cur = [];
    } else cur.push(l.trim().replace(/^(?:<<<|>>>)[ \t]*/, ''));
  }
  if (cur.length) out.push(cur.join(' '));
  return out;
}

/** The paragraph with an SMTP reply, else the one with a status code, else the first that is no label. */
export function diagnosticOf(block: string[]): string | null {
  const ps = paragraphs(block);
  const pick =
    ps.find((p) => smtpReplyIn(p)) ??
    ps.find((p) => enhancedIn(p)) ??
    ps.find((p) => !(p.endsWith(':') && p.length < 60)) ??
    ps[0] ??
    null;
  return cleanDiagnostic(pick);
}

/** The diagnostic of a whole report: only a paragraph that holds a reply or a status code counts. */
export function reportDiagnostic(report: string[]): string | null {
  const ps = paragraphs(report);
  return cleanDiagnostic(ps.find((p) => smtpReplyIn(p)) ?? ps.find((p) => enhancedIn(p)) ?? null);
}

/**
 * The reason written beside the recipient's bare name, for reports that list names, not addresses
 * (GroupWise: `vreni (user not found)`): used only for the returned message's recipient.
 */
export function shortNameReason(report: string[], address: string): string | null {
  const local = address.slice(0, address.lastIndexOf('@')).toLowerCase();
  if (local === '') return null;
  for (const line of report.slice(0, 300)) {
    const t = line.trim().replace(BULLET, '');
    if (t.slice(0, local.length).toLowerCase() !== local) continue;
    // Only in brackets: `to: …` or `subject - …` are more likely a label than the recipient's name.
    const m = /^[ \t]+\(([^()]{3,200})\)[ \t]*$/.exec(t.slice(local.length));
    if (m) return cleanDiagnostic(m[1] ?? null);
  }
  return null;
}

const HOST_SAID = /\bhost[ \t]+([A-Za-z0-9][A-Za-z0-9.-]{0,253}\.[A-Za-z]{2,63})\.?[ \t]?\[/;
const QMAIL_HOST =
  /(?:^|\s)(?:Giving up on|Connected to|remote host)[ \t]+([0-9A-Fa-f.:]{7,45}|[A-Za-z0-9.-]{3,253})/;
const QMAIL_DOES_NOT_LIKE = /(?:^|\s)([0-9A-Fa-f.:]{7,45}) does not like recipient/;
const BY_HOST = /\bby[ \t]+([A-Za-z0-9][A-Za-z0-9.-]{0,253}\.[A-Za-z]{2,63})\.?[ \t]+\[/;

/** The remote server a prose report names (`host mx.example.org[192.0.2.1] said:`, `Giving up on 192.0.2.1`). */
export function remoteMtaIn(text: string): string | null {
  const s = text.slice(0, 4000);
  const m = HOST_SAID.exec(s) ?? QMAIL_DOES_NOT_LIKE.exec(s) ?? QMAIL_HOST.exec(s) ?? BY_HOST.exec(s);
  return m?.[1]?.replace(/\.$/, '') ?? null;
}

const SENTENCE =
  /\b(?:deliver(?:ed|y)?|undeliverable|sent|message|mail|e-?mail|addressed)[ \t]+(?:to|for)[ \t]+<?([^\s<>()"',;@]{1,64}@[^\s<>()"',;@]{1,255})/gi;

/** Addresses named in sentences (`Your message wasn't delivered to bob@example.org because ...`). */
export function sentenceRecipients(report: string[], exclude: ReadonlySet<string>): string[] {
  const text = report.join('\n').slice(0, 50_000);
  const out: string[] = [];
  SENTENCE.lastIndex = 0;
  let m: RegExpExecArray | null;
  for (let n = 0; n < 50 && (m = SENTENCE.exec(text)) !== null; n++) {
    const a = findAddress(m[1] ?? '');
    if (a && !excluded(a, exclude) && !out.some((o) => o.toLowerCase() === a.toLowerCase())) out.push(a);
  }
  return out;
}

/** MTA-specific sentences that say "this is a bounce", and which MTA wrote it. */
const MARKERS: readonly [RegExp, string][] = [
  [/created automatically by mail delivery software/i, 'exim'],
  [
    /qmail-send program|I'm afraid I wasn't able to deliver your message|I wasn't able to deliver your message to the following/i,
    'qmail',
  ],
  [
    /This is the (?:mail system|Postfix program) at host|I'm sorry to have to inform you that your message could not/i,
    'postfix',
  ],
  [
    /following addresses had (?:permanent fatal|transient non-fatal) errors|Transcript of session follows|The original message was received at/i,
    'sendmail',
  ],
  [
    /Delivery to the following recipients? (?:failed permanently|has been delayed)|Google tried to deliver your message|\*\* (?:Address not found|Message not delivered|Message blocked|Delivery incomplete) \*\*/i,
    'gmail',
  ],
  [
    /Delivery has failed to these recipients or groups|did not reach the following recipient|did not reach some or all of the intended recipients|Diagnostic information for administrators/i,
    'exchange',
  ],
  [/Sorry, we were unable to deliver your message to the following address/i, 'yahoo'],
  [/Delivery to the following recipients failed/i, 'outlook'],
  [/An error occurred while trying to deliver the mail to the following recipients/i, 'ses'],
];
const GENERIC_MARKER =
  /could not be delivered to (?:one or more|the following|all)|cannot be delivered|could not deliver|was not delivered|returned mail|(?:unable|failed) to deliver (?:your |the |this )?(?:message|mail|e-?mail) to|following address(?:es|\(es\))? failed|(?:message|mail) (?:was|could) not (?:be )?delivered|wasn't delivered to|couldn't be delivered|This is the MAILER-DAEMON|delivery (?:has )?failed|undeliverable|undelivered mail|permanent (?:fatal )?error|Delivery Status Notification|non-?delivery (?:report|notification)/i;

export type BounceSignals = { specific: string | null; generic: boolean };

export function bounceMarkers(report: string[]): BounceSignals {
  const text = report.slice(0, 300).join('\n');
  for (const [re, format] of MARKERS) if (re.test(text)) return { specific: format, generic: true };
  return { specific: null, generic: GENERIC_MARKER.test(text) };
}

export const BOUNCE_SUBJECT =
  /undeliver|undelivered|returned mail|returned to sender|mail delivery (?:failed|failure|problem|subsystem)|delivery (?:status notification|failure|failed|problem|report|notification|has failed|delayed|incomplete)|failure notice|non[- ]?deliver|delivery status|could not be delivered|not delivered|message (?:delayed|not delivered|blocked)|warning: (?:message|could not send)|delayed mail|unzustellbar|nicht zustellbar|non remis|non recapitabile|no entregado|onbestelbaar|niet afgeleverd|olevererbart|address not found/i;

export const DAEMON_SENDER =
  /^(?:mailer-daemon|mailer_daemon|mail-daemon|mailerdaemon|postmaster|mail\.?delivery|bounces?|double-bounce)@/i;
export const DAEMON_NAME =
  /mail delivery (?:system|subsystem|service)|mailer[- ]daemon|postmaster|microsoft outlook|mail administrator/i;

const DELAYED =
  /has not yet been delivered|has been delayed|delivery (?:is |has been )?delayed|delayed mail|will (?:continue to |keep |be )?(?:retr(?:y|ied)|trying)|still (?:being )?(?:retried|trying)|warning message only|delivery attempts will continue|temporarily (?:deferred|failed)|transient non-fatal|warning: (?:message|could not send)|\(delay\)|message delayed/i;
const PERMANENT =
  /permanent(?:ly)? (?:error|failure|fatal)|failed permanently|(?:I've |have )?given up|giving up|not going to try again|could not be delivered(?! for (more than )?\d)|couldn't be delivered|wasn't delivered|delivery has failed|permanent fatal/i;

/** A warning that the message is still being retried, not a final failure. */
export function isDelayWarning(subject: string, report: string[]): boolean {
  const text = report.slice(0, 300).join('\n');
  return (
    (DELAYED.test(subject) || /^delay(?:ed)?\b/i.test(subject) || DELAYED.test(text)) && !PERMANENT.test(text)
  );
}
