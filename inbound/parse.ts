/**
 * What comes back to the return path, read: a bounce (RFC 3464 delivery report or one of the common
 * prose formats), a complaint (RFC 5965 feedback report), or nothing to act on (automatic replies,
 * vacation notices, challenge-response mail, garbage).
 *
 * MIME is mailparser's: every part decoded (base64, quoted-printable, charsets), `message/rfc822` and
 * `message/delivery-status` kept as raw parts. Only the small field blocks of the reports and the
 * prose of the text parts are read here (parse-fields.ts, parse-text.ts, parse-auto.ts).
 *
 * Hostile input: at most MAX_PARSED_BYTES of a message are read (reports come before the returned
 * message, which is what a cut loses), mailparser's own limits refuse absurd headers and part counts,
 * every scan here is bounded in lines and characters with linear regexes, a parse that takes longer
 * than PARSE_TIMEOUT_MS is abandoned, and nothing throws: what cannot be read is
 * `{ kind: 'none', why: 'other' }`.
 */
import {
  simpleParser,
  type AddressObject,
  type Headers,
  type ParsedMail,
  type SimpleParserOptions,
} from 'mailparser';
import { htmlToText } from 'html-to-text';
import type { BounceCategory } from '../domain/classification';
import { notBounceKind, autoReplySubject } from './parse-auto';
import { deliveryReport, feedbackFields, type DsnRecipient } from './parse-fields';
import {
  BOUNCE_SUBJECT,
  DAEMON_NAME,
  DAEMON_SENDER,
  bounceMarkers,
  excluded,
  isDelayWarning,
  lines,
  reportDiagnostic,
  sentenceRecipients,
  shortNameReason,
  splitReport,
  textReports,
  type TextReport,
} from './parse-text';
import { enhancedIn, findAddress, findAddresses, sameAddress, verdictFor, type Action } from './parse-util';

export type RecipientReport = {
  /** Final-Recipient (or Original-Recipient / the address the format names), without `rfc822;`. */
  recipient: string;
  action: Action;
  /** RFC 3463 code like `5.1.1`, or null. */
  status: string | null;
  /** The diagnostic as given, without its type prefix (`smtp;`), on one line, at most 2,000 characters. */
  diagnosticCode: string | null;
  remoteMta: string | null;
  /** From domain/classification.ts: the diagnostic's reply, else the status, else the action. */
  category: BounceCategory;
  reason: string;
};

/** Where the original message is named: for finding the delivery when the return path is lost. */
export type OriginalRefs = {
  messageId: string | null;
  /** The X-Delivery-Id header of the returned message. */
  deliveryId: string | null;
  /** The X-Mailing-Id header of the returned message. */
  mailingId: string | null;
  /**
   * What the returned message's headers give that only we can sign: its Return-Path (our signed
   * return path, when the receiving server kept it) and the tokens of its List-Unsubscribe. Not
   * verified here: the parser holds no secret (inbound/reports.ts checks them).
   */
  signed?: { returnPath: string | null; unsubscribeTokens: string[] };
};

export type ParsedInbound =
  | { kind: 'bounce'; recipients: RecipientReport[]; original: OriginalRefs; format: string }
  | { kind: 'complaint'; feedbackType: string; recipient: string | null; original: OriginalRefs }
  | { kind: 'none'; why: 'auto_reply' | 'vacation' | 'challenge' | 'other' };

/** How much of a message is read. A longer message is cut: its reports come first. */
export const MAX_PARSED_BYTES = 1024 * 1024;
/** A parse that has not ended by then is abandoned (`none`). */
export const PARSE_TIMEOUT_MS = 5_000;
const MAX_TEXT_CHARS = 256 * 1024;
const MAX_HTML_CHARS = 256 * 1024;
const MAX_HTML_DEPTH = 200;
const MAX_RETURNED_HEADER_BYTES = 64 * 1024;

/** Feedback types that mean "this recipient does not want this mail" (RFC 5965 §7.3, RFC 6650). */
export function isComplaintFeedback(feedbackType: string): boolean {
  return ['abuse', 'fraud', 'virus', 'other'].includes(feedbackType);
}

const NONE: ParsedInbound = { kind: 'none', why: 'other' };

export async function parseInbound(raw: Buffer | string): Promise<ParsedInbound> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<ParsedInbound>((resolve) => {
      timer = setTimeout(() => resolve(NONE), PARSE_TIMEOUT_MS);
      timer.unref();
    });
    return await Promise.race([parse(raw), timeout]);
  } catch {
    return NONE;
  } finally {
    clearTimeout(timer);
  }
}

// `ignoreEmbedded` keeps every message/rfc822 part whole (a part, never merged into the text);
// `keepDeliveryStatus` keeps the report a part too; the limits are mailparser's, set explicitly.
const MAIL_OPTIONS: SimpleParserOptions = {
  keepDeliveryStatus: true,
  ignoreEmbedded: true,
  skipTextToHtml: true,
  skipTextLinks: true,
  skipImageLinks: true,
  maxHtmlLengthToParse: 512 * 1024,
  maxHeadSize: 256 * 1024,
  maxChildNodes: 200,
  checksumAlgo: false,
};

type Context = {
  mail: ParsedMail;
  subject: string;
  from: string | null;
  header: (name: string) => string;
  text: string;
  dsn: string[];
  feedback: string[];
  /** Returned messages or their header blocks, most reliable first. */
  returned: string[];
  /** A message/disposition-notification part (a read receipt). */
  mdn: boolean;
  reportType: string;
};

/**
 * A gateway that turned every CRLF into CR CR LF: mailparser then finds no MIME boundary, and a
 * readable report would pass for no bounce. Lines made CRLF again (a copy only when needed).
 */
function crLines(buf: Buffer): Buffer {
  if (buf.indexOf('\r\r\n') < 0) return buf;
  return Buffer.from(buf.toString('latin1').replace(/\r+\n/g, '\r\n'), 'latin1');
}

async function parse(raw: Buffer | string): Promise<ParsedInbound> {
  const buf = (typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw).subarray(0, MAX_PARSED_BYTES);
  if (buf.toString('latin1', 0, Math.min(buf.length, 4096)).trim() === '' && buf.length <= 4096) return NONE;
  const mail = await simpleParser(crLines(buf), MAIL_OPTIONS);
  const ctx = context(mail);
  const returned = await returnedMessage(ctx);

  // 0. A read receipt (RFC 8098 disposition notification): an automatic reply, no bounce.
  if (ctx.reportType === 'disposition-notification' || ctx.mdn) return { kind: 'none', why: 'auto_reply' };

  // 1. A feedback report: a complaint.
  const feedback = feedbackOf(ctx);
  if (feedback) {
    const recipient =
      findAddress(feedback.get('original-rcpt-to') ?? '') ??
      findAddress(feedback.get('removal-recipient') ?? '') ??
      returned.hotmailRecipient ??
      findAddress(ctx.header('x-hmxmroriginalrecipient')) ??
      returned.to;
    const type = /^[a-z0-9_-]{1,32}/.exec((feedback.get('feedback-type') ?? '').trim().toLowerCase())?.[0];
    return { kind: 'complaint', feedbackType: type ?? 'abuse', recipient, original: returned.refs };
  }

  const all = lines(ctx.text);
  const { report, original } = splitReport(all);
  const exclude = new Set<string>(
    [ctx.from, ...addresses(mail.to), returned.from, returned.sender, returned.returnPath]
      .filter((a): a is string => !!a)
      .map((a) => a.toLowerCase()),
  );
  const inText = textReports(report, exclude);
  const markers = bounceMarkers(report);

  // 2. A delivery report (RFC 3464), in its own part or, from a broken MTA, in the text. Fields
  // pasted below the copy marker count only when the report above it names no address itself: a
  // report quoted in the returned message (a bounce of a bounce) names someone else, while a
  // forwarded, flattened report may sit under "Original message".
  const dsn = dsnRecipients(ctx, inText.length ? report : all);
  if (dsn.recipients.length) {
    const recipients = dsn.recipients.map((r) => fromDsn(r, inText));
    const format = formatOf(ctx, markers.specific, dsn.reportingMta, true);
    const original = withMessageId(returned.refs, dsn.originalMessageId, ctx);
    return { kind: 'bounce', recipients, original, format };
  }

  // 3. A bounce in prose.
  const daemon = (ctx.from !== null && DAEMON_SENDER.test(ctx.from)) || DAEMON_NAME.test(mailFromName(mail));
  const failedHeader = findAddresses(ctx.header('x-failed-recipients'));
  const sure =
    markers.specific !== null ||
    daemon ||
    BOUNCE_SUBJECT.test(ctx.subject) ||
    ctx.reportType === 'delivery-status' ||
    ctx.dsn.length > 0 ||
    failedHeader.length > 0;
  const notBounce = () =>
    notBounceKind({
      header: ctx.header,
      headerNames: [...mail.headers.keys()],
      subject: ctx.subject,
      senders: ['from', 'sender', 'reply-to', 'return-path', 'message-id']
        .map((h) => ctx.header(h))
        .join(' '),
      text: ctx.text,
    });
  // Without a sure sign of a bounce, an automatic reply (RFC 3834 headers, a vacation notice) or a
  // challenge is what it says, though its prose sounds like one ("your message was not delivered
  // ... please write to info@..."): it must never mark the address it names incorrect.
  if (!sure) {
    const why = notBounce();
    if (why) return { kind: 'none', why };
  }
  // "Automatic reply" in the subject outweighs prose that merely sounds like a bounce, not a mailer
  // daemon's sender or a bounce subject.
  const autoSubject = autoReplySubject(ctx.subject) && !daemon && !BOUNCE_SUBJECT.test(ctx.subject);
  if (markers.specific || ((sure || markers.generic || failedHeader.length > 0) && !autoSubject)) {
    const found = proseRecipients(inText, failedHeader, report, exclude, returned.to, { sure });
    if (found.length) {
      const action: Action = isDelayWarning(ctx.subject, report) ? 'delayed' : 'failed';
      const recipients = found.map((r) => fromProse(r, action));
      const format = formatOf(ctx, markers.specific, '', false);
      const refs =
        returned.refs.messageId || returned.refs.deliveryId
          ? returned.refs
          : await inlineRefs(original, returned.refs);
      return { kind: 'bounce', recipients, original: withMessageId(refs, '', ctx), format };
    }
    // A bounce that names no recipient we can read: nothing to act on, and no automatic reply either.
    if (sure && !autoSubject) return NONE;
  }

  // 4. Automatic replies and challenges.
  const why = notBounce();
  return why ? { kind: 'none', why } : NONE;
}

function context(mail: ParsedMail): Context {
  const header = (name: string) => headerText(mail.headers, name);
  const dsn: string[] = [];
  const feedback: string[] = [];
  const returned: string[] = [];
  const headerOnly: string[] = [];
  const looseText: string[] = [];
  let mdn = false;
  for (const a of mail.attachments.slice(0, 50)) {
    const type = (a.contentType ?? '').toLowerCase();
    if (type === 'message/disposition-notification') mdn = true;
    const body = a.content.subarray(0, MAX_PARSED_BYTES).toString('utf8');
    if (type === 'message/delivery-status' || type === 'message/global-delivery-status') dsn.push(body);
    else if (type === 'message/feedback-report') feedback.push(body);
    else if (type === 'message/rfc822' || type === 'message/global') returned.push(body);
    else if (type === 'text/rfc822-headers' || type === 'text/global-headers') headerOnly.push(body);
    else if (type.startsWith('text/') || type === 'application/octet-stream') looseText.push(body);
  }
  // Text attachments: a report some MTA attached as text, or the returned message as a .txt file.
  for (const t of looseText) {
    if (/^(?:Final|Original)-Recipient[ \t]*:/im.test(t.slice(0, 20_000))) dsn.push(t);
    else if (/^Feedback-Type[ \t]*:/im.test(t.slice(0, 20_000))) feedback.push(t);
    else if (/^(?:Received|Return-Path|Message-I[Dd])[ \t]*:/i.test(t.trimStart())) returned.push(t);
  }
  const contentType = mail.headers.get('content-type');
  const params: unknown =
    contentType && typeof contentType === 'object' && 'params' in contentType ? contentType.params : null;
  const reportType =
    params &&
    typeof params === 'object' &&
    'report-type' in params &&
    typeof params['report-type'] === 'string'
      ? params['report-type'].toLowerCase()
      : '';
  return {
    mail,
    subject: (mail.subject ?? '').slice(0, 1000),
    from: addresses(mail.from)[0] ?? null,
    header,
    text: textOf(mail),
    dsn,
    feedback,
    returned: [...returned, ...headerOnly],
    mdn,
    reportType,
  };
}

/**
 * The message's text. mailparser makes text of HTML only for a top-level HTML body; an NDR whose only
 * text is HTML inside its report (Exchange Online) is converted here, bounded, links without targets.
 */
function textOf(mail: ParsedMail): string {
  const text = mail.text ?? '';
  if (text.trim() !== '' || typeof mail.html !== 'string') return text.slice(0, MAX_TEXT_CHARS);
  const html = mail.html.slice(0, MAX_HTML_CHARS);
  // html-to-text slows down more than linearly on deep nesting: no NDR nests like that.
  if (htmlDepth(html) > MAX_HTML_DEPTH) return '';
  try {
    // Cells of a row apart (`bob@x` | `550 …` is no `bob@x550 …`): html-to-text runs them together.
    // Not after a label's colon: `Recipient:bob@x`, `退信原因：…` read as one labelled line.
    return htmlToText(html.replace(/([^:：\s])(\s*<\/t[dh]\s*>)/gi, '$1$2 '), {
      wordwrap: false,
      limits: { maxInputLength: MAX_HTML_CHARS, maxDepth: 100, maxChildNodes: 5_000 },
      selectors: [
        { selector: 'a', options: { ignoreHref: true } },
        { selector: 'img', format: 'skip' },
        // A row per line: NDRs laid out as tables (Tencent's "退信原因：" | reason) read like labelled lines.
        { selector: 'tr', format: 'block' },
      ],
    }).slice(0, MAX_TEXT_CHARS);
  } catch {
    return '';
  }
}

const VOID_TAG = /^(?:area|base|br|col|embed|hr|img|input|link|meta|source|track|wbr|p|li|td|th|tr|option)$/i;

/** The deepest nesting of elements in an HTML text, by a linear scan of its tags (void tags aside). */
function htmlDepth(html: string): number {
  const tag = /<(\/?)([A-Za-z][A-Za-z0-9]{0,20})[^<>]{0,2000}?(\/?)>/g;
  let depth = 0;
  let max = 0;
  let m: RegExpExecArray | null;
  while ((m = tag.exec(html)) !== null) {
    if (VOID_TAG.test(m[2] ?? '') || m[3] === '/') continue;
    depth = m[1] === '/' ? Math.max(0, depth - 1) : depth + 1;
    if (depth > max) max = depth;
    if (max > MAX_HTML_DEPTH) break;
  }
  return max;
}

/** A header's value as text, whatever shape mailparser gave it. */
function headerText(headers: Headers, name: string): string {
  const v = headers.get(name);
  const one = (x: unknown): string => {
    if (typeof x === 'string') return x;
    if (x instanceof Date) return x.toISOString();
    if (x && typeof x === 'object') {
      if ('text' in x && typeof x.text === 'string') return x.text;
      if ('value' in x && typeof x.value === 'string') return x.value;
    }
    return '';
  };
  const text = Array.isArray(v) ? v.slice(0, 20).map(one).join(', ') : one(v);
  return text.slice(0, 10_000);
}

function addresses(v: AddressObject | AddressObject[] | undefined): string[] {
  const out: string[] = [];
  for (const o of Array.isArray(v) ? v : v ? [v] : []) {
    for (const e of o.value.slice(0, 50)) {
      for (const a of [e.address, ...(e.group ?? []).map((g) => g.address)]) {
        const found = a ? findAddress(a) : null;
        if (found) out.push(found);
      }
    }
  }
  return out;
}

function mailFromName(mail: ParsedMail): string {
  return mail.from?.value.map((v) => `${v.name} ${v.address ?? ''}`).join(' ') ?? '';
}

function feedbackOf(ctx: Context): Map<string, string> | null {
  for (const part of ctx.feedback) {
    const f = feedbackFields(part);
    if (f.size) return f;
  }
  if (ctx.reportType === 'feedback-report') {
    // A feedback report whose report part is mislabelled: its fields in the text.
    const m = /^Feedback-Type[ \t]*:/im.exec(ctx.text.slice(0, 50_000));
    if (m) return feedbackFields(ctx.text.slice(m.index, m.index + 20_000));
    return new Map();
  }
  return null;
}

function dsnRecipients(
  ctx: Context,
  text: string[],
): { recipients: DsnRecipient[]; reportingMta: string; originalMessageId: string } {
  const recipients: DsnRecipient[] = [];
  let reportingMta = '';
  let originalMessageId = '';
  for (const part of ctx.dsn.slice(0, 5)) {
    const r = deliveryReport(part);
    recipients.push(...r.recipients);
    reportingMta ||= r.perMessage.get('reporting-mta') ?? '';
    originalMessageId ||= r.perMessage.get('x-original-message-id') ?? '';
  }
  if (recipients.length === 0) {
    // Report fields pasted into the text (some MTAs, and forwarders that flatten the report).
    const at = text.findIndex((l) => /^(?:Final|Original)-Recipient[ \t]*:/i.test(l));
    if (at >= 0) {
      // From the start of that field group (an Original-Recipient or Action line may come first).
      let start = at;
      while (start > 0 && at - start < 5 && /^[A-Za-z-]{2,40}[ \t]*:/.test(text[start - 1] ?? '')) start--;
      const r = deliveryReport(text.slice(start, at + 200).join('\n'));
      recipients.push(...r.recipients.filter((x) => x.status !== null || x.diagnosticCode !== null));
      reportingMta ||= r.perMessage.get('reporting-mta') ?? '';
    }
  }
  return { recipients, reportingMta, originalMessageId };
}

function fromDsn(r: DsnRecipient, inText: TextReport[]): RecipientReport {
  const prose = inText.find((t) => sameAddress(t.recipient, r.recipient));
  // A report without a diagnostic, or with a bare code (`smtp; 550`): the prose part may say more.
  const bare = r.diagnosticCode === null || !/[A-Za-z]{3}/.test(r.diagnosticCode);
  const diagnosticCode = (bare ? prose?.diagnostic : null) ?? r.diagnosticCode ?? null;
  const status = r.status ?? (diagnosticCode ? enhancedIn(diagnosticCode) : null);
  return {
    recipient: r.recipient,
    action: r.action,
    status,
    diagnosticCode,
    remoteMta: r.remoteMta ?? prose?.remoteMta ?? null,
    ...verdictFor(diagnosticCode, status, r.action, prose?.diagnostic ?? null),
  };
}

function fromProse(r: TextReport, action: Action): RecipientReport {
  const status = r.diagnostic ? enhancedIn(r.diagnostic) : null;
  return {
    recipient: r.recipient,
    action,
    status,
    diagnosticCode: r.diagnostic,
    remoteMta: r.remoteMta,
    ...verdictFor(r.diagnostic, status, action),
  };
}

/**
 * The failed addresses of a prose bounce: the lines that name them; X-Failed-Recipients (Exim) when
 * present has the last word; else addresses in sentences; else, when the message is surely a bounce,
 * the To of the returned message.
 */
function proseRecipients(
  inText: TextReport[],
  failedHeader: string[],
  report: string[],
  exclude: ReadonlySet<string>,
  returnedTo: string | null,
  opts: { sure: boolean },
): TextReport[] {
  const whole = reportDiagnostic(report);
  const bare = (recipient: string): TextReport => ({ recipient, diagnostic: whole, remoteMta: null });
  if (failedHeader.length) {
    return failedHeader
      .filter((a) => !excluded(a, exclude))
      .map((a) => inText.find((t) => sameAddress(t.recipient, a)) ?? bare(a));
  }
  if (inText.length) return inText;
  const named = sentenceRecipients(report, exclude);
  if (named.length) return named.map(bare);
  if (opts.sure && returnedTo && !excluded(returnedTo, exclude))
    return [{ ...bare(returnedTo), diagnostic: whole ?? shortNameReason(report, returnedTo) }];
  return [];
}

type Returned = {
  refs: OriginalRefs;
  to: string | null;
  from: string | null;
  sender: string | null;
  returnPath: string | null;
  hotmailRecipient: string | null;
};

const NO_REFS: OriginalRefs = { messageId: null, deliveryId: null, mailingId: null };

/** The returned message's headers (a message/rfc822 part, or text/rfc822-headers), read by mailparser. */
async function returnedMessage(ctx: Context): Promise<Returned> {
  for (const candidate of ctx.returned.slice(0, 3)) {
    const r = await readReturned(candidate);
    if (r) return r;
  }
  return { refs: NO_REFS, to: null, from: null, sender: null, returnPath: null, hotmailRecipient: null };
}

async function readReturned(message: string): Promise<Returned | null> {
  const trimmed = message.replace(/^[\r\n]+/, '');
  const end = /\r?\n\r?\n/.exec(trimmed.slice(0, MAX_RETURNED_HEADER_BYTES));
  const head = trimmed.slice(0, end ? end.index : MAX_RETURNED_HEADER_BYTES);
  if (head.trim() === '') return null;
  const mail = await simpleParser(`${head}\r\n\r\n`, MAIL_OPTIONS);
  const h = (name: string) => headerText(mail.headers, name);
  const returnPath = findAddress(h('return-path'));
  return {
    refs: {
      messageId: messageIdOf(mail.messageId ?? h('message-id')),
      deliveryId: idOf(h('x-delivery-id')),
      mailingId: idOf(h('x-mailing-id')),
      ...signedRefs(returnPath, unsubscribeTokensOf(rawHeader(mail, 'list-unsubscribe'))),
    },
    to: addresses(mail.to)[0] ?? null,
    from: addresses(mail.from)[0] ?? null,
    sender: findAddress(h('sender')),
    returnPath,
    hotmailRecipient: findAddress(h('x-hmxmroriginalrecipient')),
  };
}

/** A header as written: mailparser turns some (List-*) into objects of its own reading. */
function rawHeader(mail: ParsedMail, name: string): string {
  return mail.headerLines
    .filter((l) => l.key === name)
    .slice(0, 5)
    .map((l) => l.line.slice(0, 10_000))
    .join('\n');
}

function signedRefs(returnPath: string | null, unsubscribeTokens: string[]): Pick<OriginalRefs, 'signed'> {
  return returnPath || unsubscribeTokens.length ? { signed: { returnPath, unsubscribeTokens } } : {};
}

/**
 * The tokens of a List-Unsubscribe header: `…/u/<token>` in its URL, `unsubscribe+<token>@` in its
 * mailto (a mail system may change their case; they are lower-case base32 when we write them).
 */
function unsubscribeTokensOf(header: string): string[] {
  const found = header
    .toLowerCase()
    .matchAll(/(?:\/u\/|unsubscribe\+)([0-9]{1,19}\.[a-z2-7]{1,64})(?![a-z2-7])/g);
  return [...new Set([...found].map((m) => m[1]!))].slice(0, 4);
}

/** Refs from the copy of the returned message in a prose bounce (after "This is a copy of ..."). */
async function inlineRefs(original: string[] | null, fallback: OriginalRefs): Promise<OriginalRefs> {
  if (!original) return fallback;
  const start = original.findIndex((l) => l.trim() !== '');
  if (start < 0) return fallback;
  const r = await readReturned(original.slice(start, start + 400).join('\n'));
  return r && (r.refs.messageId || r.refs.deliveryId || r.refs.mailingId) ? r.refs : fallback;
}

/**
 * Without a returned message, the bounce itself may name the original: Gmail's X-Original-Message-ID
 * report field, or In-Reply-To / the last References entry (Gmail, Exim set them to the bounced message).
 */
function withMessageId(refs: OriginalRefs, reportField: string, ctx: Context): OriginalRefs {
  if (refs.messageId) return refs;
  const references = ctx.header('references').match(/<[^<>\s]{1,500}>/g) ?? [];
  const messageId =
    messageIdOf(reportField) ??
    messageIdOf(ctx.header('in-reply-to')) ??
    messageIdOf(references.at(-1) ?? '');
  return { ...refs, messageId };
}

function messageIdOf(v: string): string | null {
  const m = /<([^<>\s]{1,500})>/.exec(v) ?? /^[ \t]*([^<>\s]{1,500}@[^<>\s]{1,500})/.exec(v);
  return m ? `<${m[1]}>` : null;
}

function idOf(v: string): string | null {
  const t = v.trim();
  return /^[A-Za-z0-9._:-]{1,100}$/.test(t) ? t : null;
}

/** Which MTA or provider wrote the bounce, from its sender, its report and its wording. */
function formatOf(ctx: Context, marker: string | null, reportingMta: string, dsn: boolean): string {
  const from = (ctx.from ?? '').toLowerCase();
  const mta = reportingMta.toLowerCase();
  const domain = from.slice(from.indexOf('@') + 1);
  if (domain.endsWith('amazonses.com') || mta.includes('amazonses.com')) return 'ses';
  if (/(?:^|\.)(?:googlemail|google|gmail)\.com$/.test(domain) || mta.includes('googlemail.com'))
    return 'gmail';
  if (
    /(?:^|\.)yahoo(?:\.co)?\.[a-z]{2,3}$|(?:^|\.)(?:aol|ymail|rocketmail)\.com$/.test(domain) ||
    mta.includes('yahoo')
  ) {
    return 'yahoo';
  }
  if (/(?:^|\.)(?:hotmail|outlook|live|msn)\.[a-z.]{2,6}$/.test(domain)) return 'outlook';
  const headerNames = [...ctx.mail.headers.keys()];
  if (
    headerNames.some((h) => h.startsWith('x-ms-exchange-')) ||
    /outlook\.com|exchangelabs\.com/.test(mta) ||
    marker === 'exchange'
  ) {
    return 'exchange';
  }
  if (marker) return marker;
  if (ctx.dsn.some((d) => /^X-Postfix-/im.test(d))) return 'postfix';
  if (ctx.dsn.some((d) => /^X-Exim-/im.test(d))) return 'exim';
  return dsn ? 'rfc3464' : 'text';
}
