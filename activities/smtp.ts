/**
 * Hands one message to a receiving server and says what it answered. Two routes: a relay
 * (SMTP_URL), whose sessions are kept between messages (./smtp-sessions.ts), or straight to the
 * recipient domain's MX hosts, a session per message. Each phase of a message has its own deadline
 * (domain/smtp-timeouts.ts), and a cancelled activity cuts its session.
 * Every refusal comes back as data; only our own failures (bad relay credentials, bad message) throw.
 */
import type { KeyObject } from 'node:crypto';
import type { MxRecord } from 'node:dns';
import { isIP } from 'node:net';
import DKIM from 'nodemailer/lib/dkim';
import MailComposer from 'nodemailer/lib/mail-composer';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import type { AttemptResult } from '../contract/delivery';
import { recipientDomain } from '../domain/address';
import { type Classification, classify, parseReply, type ParsedReply } from '../domain/classification';
import { resolverFor } from '../runtime/dns';
import { cleanReply } from '../domain/reply';
import { cappedTimeouts, SEND_DEADLINE_MS, type SmtpTimeouts } from '../domain/smtp-timeouts';
import {
  createSessionKeeper,
  endSession,
  type Session,
  type SessionKeeper,
  type SessionLimits,
  type Watch,
} from './smtp-sessions';

export type OutgoingMessage = {
  to: string;
  from: string;
  fromName: string | null;
  /** Envelope sender (Return-Path): VERP-encoded, so a late bounce names its delivery. */
  returnPath: string;
  subject: string;
  text: string | null;
  html: string | null;
  messageId: string;
  headers: Record<string, string>;
  /**
   * The From domain's key (d= the From domain, so DMARC aligns). Every message of a delivery has one
   * (activities/message.ts); only tests of the SMTP session alone leave it out.
   */
  dkim?: DkimKey;
};

/**
 * A parsed key, not its PEM text: parsing the PEM on every signature cost more than the RSA
 * signature itself (docs/performance.md), and a KeyObject prints as no key material if logged.
 */
export type DkimKey = { domainName: string; keySelector: string; privateKey: KeyObject };

export type SmtpOptions = {
  /** Relay URL; without it, direct to MX. */
  relayUrl?: string;
  ehloHostname: string;
  /** Every phase's timeout at most this (tests, the lab); unset: RFC 5321's per phase. */
  timeoutMs?: number;
  /** Direct mode only: the port of receiving servers (25; tests point it elsewhere). */
  mxPort?: number;
  /** Direct mode only: where MX and A records come from (DNS_SERVER's resolver unless given). */
  resolver?: MxResolver;
  /** DNS_SERVER (ip[:port]); unset, the system's resolvers. */
  dnsServer?: string;
  /** Longest send, all hosts tried (tests shorten it). */
  deadlineMs?: number;
  /**
   * Direct mode only: MX hosts at private, loopback, link-local or other non-public addresses are
   * tried too (DIRECT_MX_ALLOW_PRIVATE; tests, whose MX hosts are on 127.0.0.1). Otherwise such an
   * address is no route: what DNS answers is untrusted, and the worker is not a way into its network.
   */
  allowPrivateMx?: boolean;
  /** Relay only: how sessions are kept between messages (DEFAULT_SESSION_LIMITS unless given). */
  relaySessions?: SessionLimits;
};

/** The two DNS questions direct delivery asks; `dns.promises.Resolver` answers both. */
export type MxResolver = {
  resolveMx(domain: string): Promise<MxRecord[]>;
  resolve4(host: string): Promise<string[]>;
};

/** Thrown for failures that are ours, not the recipient's: Temporal retries the activity. */
export class SmtpInfrastructureError extends Error {
  override name = 'SmtpInfrastructureError';
}

/** Thrown when the send was cancelled (the activity was): nothing is known of the recipient. */
export class SendCancelled extends Error {
  override name = 'SendCancelled';
}

type SmtpError = Error & { code?: string; response?: string; responseCode?: number; command?: string };

// Client-side failures that say nothing about the recipient and must not be retried as if they did.
const CREDENTIALS = new Set(['EAUTH', 'ENOAUTH', 'EOAUTH2']);
const OUR_FAULT = new Set([...CREDENTIALS, 'EMESSAGE', 'ESTREAM', 'EENVELOPE_API']);

/** One server to talk to, and how. */
type Target = {
  host: string;
  port: number;
  /** Implicit TLS (smtps://); otherwise STARTTLS whenever the server offers it. */
  secure: boolean;
  servername?: string;
  auth?: { user: string; pass: string };
  mxHost: string | null;
};

/**
 * MX hosts tried per attempt, by preference (Postfix tries 5 addresses): a domain publishing
 * hundreds cannot keep a send going host after host until its deadline.
 */
const MAX_MX_HOSTS = 5;
/** Addresses tried per attempt, all hosts together (Postfix's smtp_mx_address_limit). */
const MAX_MX_ADDRESSES = 5;

/** What one session ended with: the server's reply, or the client-side error name, and where. */
type Outcome = { reply: string; phase: string };

export function createSmtpSender(opts: SmtpOptions) {
  const timeouts = cappedTimeouts(opts.timeoutMs);
  const relay = opts.relayUrl ? relayTarget(opts.relayUrl) : null;
  const resolver = opts.resolver ?? resolverFor(opts.dnsServer, { timeoutMs: timeouts.connect });
  // Relay sessions only: a direct send opens one per MX host and message.
  const relaySessions = createSessionKeeper(opts.relaySessions);

  async function send(msg: OutgoingMessage, signal?: AbortSignal): Promise<AttemptResult> {
    const started = Date.now();
    const deadline = AbortSignal.timeout(opts.deadlineMs ?? SEND_DEADLINE_MS);
    const stop = signal ? AbortSignal.any([signal, deadline]) : deadline;
    const raw = await buildMessage(msg);
    const done = (o: Outcome, mxHost: string | null) => result(o, mxHost, msg, started);
    const talk = async (t: Target, sessions?: { keeper: SessionKeeper; take: boolean }) => {
      const outcome = await session(t, opts.ehloHostname, timeouts, msg, raw, stop, sessions);
      // An accepted message is reported even when the cancellation came meanwhile: the acceptance
      // must be recorded, or a retry would send it again.
      if (signal?.aborted && outcome.phase !== 'DONE')
        throw new SendCancelled('the send was cancelled: the activity was');
      return outcome;
    };
    if (relay) {
      const first = await talk(relay, { keeper: relaySessions, take: true });
      // A kept session that failed before any of the message went (no 354) most likely ended while
      // it waited (the relay's idle timeout, a NAT's, its 421 on the way out): the message goes on a
      // new session rather than coming back as the recipient's soft bounce. With PIPELINING, MAIL,
      // RCPT and DATA leave together, so the phase alone cannot tell: no reply at all, a 421, or a
      // refusal of MAIL FROM is the session's; a reply to RCPT TO stays the recipient's verdict.
      const stale =
        first.reused &&
        !first.messageStarted &&
        (first.phase === KEPT.name || sessionEnded(parseReply(first.reply)));
      return done(stale ? await talk(relay, { keeper: relaySessions, take: false }) : first, null);
    }

    const hosts = await mxHostsFor(resolver, recipientDomain(msg.to));
    if (!Array.isArray(hosts)) return done({ reply: hosts.error, phase: 'DNS' }, null);
    let last: AttemptResult | undefined;
    let tried = 0;
    hosts: for (const host of hosts) {
      if (stop.aborted) break;
      const found = await addressesOf(resolver, host, opts.allowPrivateMx ?? false);
      if (!Array.isArray(found)) {
        // The domain itself without an address accepts no mail (hard); a named MX host that does
        // not resolve is the domain's misconfiguration of the day, which MTAs defer (soft).
        const implicit = hosts.length === 1 && host === recipientDomain(msg.to);
        const gone = found.error === 'ENOTFOUND' || found.error === 'ENODATA';
        // A host at a non-public address is our refusal, not the domain's fault: never a hard bounce.
        const reply =
          found.error === 'ENOTPUBLIC' ? 'ENOTPUBLIC' : gone && implicit ? 'ENOTFOUND' : 'ESERVFAIL';
        last = done({ reply, phase: 'DNS' }, host);
        continue;
      }
      // Each address of the host in turn (a host is often several machines), MAX_MX_ADDRESSES in all.
      for (const address of found) {
        if (stop.aborted || tried++ >= MAX_MX_ADDRESSES) break hosts;
        // STARTTLS whenever offered, opportunistically: MX certificates are often self-signed, and
        // refusing them would only push the message back to plain text.
        const port = opts.mxPort ?? 25;
        last = done(await talk({ host: address, port, secure: false, servername: host, mxHost: host }), host);
        // A reply from the server is its verdict; only an unreachable host, or one that turned us
        // away at its greeting for now (421 busy: RFC 5321 §5.1), sends us to the next one. After
        // the message was sent, another host would mean sending it twice.
        // A message taken (DONE, whatever its reply's shape) ends it: another address would be a copy.
        const busyGreeting = last.phase === 'CONN' && String(last.classification.code).startsWith('4');
        if (last.phase === 'DONE' || last.phase === 'DATA') return last;
        if (last.classification.code !== null && !busyGreeting) return last;
      }
    }
    return last ?? done({ reply: 'ETIMEDOUT', phase: 'CONN' }, null);
  }

  return { send, close: () => relaySessions.close() };
}

function relayTarget(url: string): Target {
  const u = new URL(url);
  const secure = u.protocol === 'smtps:';
  return {
    host: u.hostname,
    port: Number(u.port) || (secure ? 465 : 587),
    secure,
    ...(u.username && {
      auth: { user: decodeURIComponent(u.username), pass: decodeURIComponent(u.password) },
    }),
    mxHost: null,
  };
}

/**
 * The fields under the signature (those the message has), named here rather than left to the
 * library's default: RFC 8058 counts one-click unsubscribe only when both List-Unsubscribe fields are
 * signed.
 */
const SIGNED_FIELDS = [
  'From',
  'Reply-To',
  'Subject',
  'Date',
  'Message-ID',
  'To',
  'Cc',
  'MIME-Version',
  'Content-Type',
  'Content-Transfer-Encoding',
  'List-Unsubscribe',
  'List-Unsubscribe-Post',
].join(':');

async function buildMessage(msg: OutgoingMessage): Promise<Buffer> {
  const raw = await new MailComposer({
    from: msg.fromName ? { name: msg.fromName, address: msg.from } : msg.from,
    to: msg.to,
    subject: msg.subject,
    ...(msg.text !== null && { text: msg.text }),
    ...(msg.html !== null && { html: msg.html }),
    messageId: msg.messageId,
    headers: msg.headers,
  })
    .compile()
    .build();
  if (!msg.dkim) return raw;
  const signed = new DKIM({ ...msg.dkim, headerFieldNames: SIGNED_FIELDS }).sign(raw);
  const chunks: Buffer[] = [];
  for await (const chunk of signed) chunks.push(chunk as Buffer);
  const out = Buffer.concat(chunks);
  // nodemailer leaves a message unsigned, silently, when it cannot sign (a bad key): never send that.
  if (!out.subarray(0, 16).toString('latin1').startsWith('DKIM-Signature:'))
    throw new SmtpInfrastructureError(`the message could not be DKIM-signed for ${msg.dkim.domainName}`);
  return out;
}

/** Where a session stands, by the last command we sent: the phase decides the deadline. */
type Phase = { name: string; limit: keyof SmtpTimeouts };
const AFTER_CONNECT: Phase = { name: 'CONN', limit: 'greeting' };
/** A kept session starts at MAIL FROM. */
const KEPT: Phase = { name: 'MAIL FROM', limit: 'command' };
const DATA_SENT: Phase = { name: 'DATA', limit: 'dataEnd' };

function phaseOfCommand(command: string): Phase | undefined {
  const verb = command.slice(0, 4).toUpperCase();
  if (verb === 'EHLO' || verb === 'HELO' || verb === 'LHLO') return { name: 'EHLO', limit: 'command' };
  if (verb === 'STAR') return { name: 'STARTTLS', limit: 'command' };
  if (verb === 'AUTH') return { name: 'AUTH', limit: 'command' };
  if (verb === 'MAIL') return { name: 'MAIL FROM', limit: 'command' };
  if (verb === 'RCPT') return { name: 'RCPT TO', limit: 'command' };
  if (verb === 'DATA') return { name: 'DATA', limit: 'dataStart' };
  return undefined;
}

/**
 * One SMTP session: connect, EHLO (and STARTTLS), AUTH for a relay, MAIL, RCPT, DATA, the message;
 * or, when `sessions` has one to take, a kept session with the relay, from MAIL on. A watchdog
 * follows the session through nodemailer's transaction log and closes the connection when a phase
 * overruns its deadline, or when `stop` fires. A session whose message was taken goes to `sessions`.
 */
function session(
  target: Target,
  ehloHostname: string,
  timeouts: SmtpTimeouts,
  msg: OutgoingMessage,
  raw: Buffer,
  stop: AbortSignal,
  sessions?: { keeper: SessionKeeper; take: boolean },
): Promise<Outcome & { reused: boolean; messageStarted: boolean }> {
  // Cancelled or past the deadline before connecting (while DNS answered): no session at all. An
  // abort listener added now would never fire.
  if (stop.aborted)
    return Promise.resolve({
      reply: 'ETIMEDOUT',
      phase: AFTER_CONNECT.name,
      reused: false,
      messageStarted: false,
    });
  const keeper = sessions?.keeper;
  const kept = sessions?.take ? keeper?.take() : undefined;
  return new Promise((resolve, reject) => {
    let phase: Phase = kept ? KEPT : AFTER_CONNECT;
    let expired: Phase | null = null;
    let timer: NodeJS.Timeout | undefined;
    let settled = false;
    // The server asked for the message (354): from then on it may hold some or all of it.
    let messageStarted = false;
    const arm = (next: Phase, ms = timeouts[next.limit]) => {
      phase = next;
      clearTimeout(timer);
      timer = setTimeout(() => {
        expired = next;
        conn.close();
      }, ms);
    };
    const finish = (outcome: Outcome | Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      stop.removeEventListener('abort', onAbort);
      conn.removeListener('error', failed);
      conn.removeListener('end', ended);
      // The session is over whatever the verdict: kept or QUIT after a success, otherwise hang up.
      // (Left open, a refused session would hold its socket until the server timed it out.)
      const taken = !(outcome instanceof Error) && outcome.phase === 'DONE';
      if (taken) current.messages++;
      if (taken && keeper) keeper.keep(current);
      else endSession(conn, taken);
      if (outcome instanceof Error) reject(outcome);
      else resolve({ ...outcome, reused: Boolean(kept), messageStarted });
    };
    const watch = (meta: unknown, message: unknown) => {
      const tnx = (meta as { tnx?: string } | null)?.tnx;
      if (tnx === 'client') {
        const next = phaseOfCommand(String(message));
        if (next) arm(next);
      } else if (tnx === 'server' && phase.name === 'DATA' && /^354/.test(String(message))) {
        // The server wants the message: streaming it may take up to a block's time.
        messageStarted = true;
        arm({ name: 'DATA', limit: 'dataBlock' });
      } else if (tnx === 'message' && typeof (meta as { outByteCount?: unknown }).outByteCount === 'number') {
        // The message and its final "." are sent: from now on a missing answer may mean a copy arrived.
        messageStarted = true;
        arm(DATA_SENT);
      }
    };
    const current: Session = kept ?? {
      conn: openConnection(target, ehloHostname, timeouts, (meta, message) => current.watch(meta, message)),
      watch,
      messages: 0,
      openedAt: Date.now(),
    };
    current.watch = watch;
    const conn = current.conn;
    const onAbort = () => {
      expired = { name: phase.name, limit: phase.limit };
      conn.close();
    };
    stop.addEventListener('abort', onAbort);
    if (kept) arm(KEPT);
    else arm(AFTER_CONNECT, timeouts.connect + timeouts.greeting);

    const failed = (err: SmtpError) => {
      // What the server said is its verdict, whatever nodemailer names the error (a refusal after
      // the final dot comes as EMESSAGE, otherwise a fault of ours), and text without a code is
      // never read as one of our error names. Refused credentials alone are ours to fix.
      // nodemailer names the step CONN when the server closed right after its reply: the step we
      // were at says more.
      if (err.response && !CREDENTIALS.has(err.code ?? ''))
        return finish({
          reply: err.response,
          phase: err.command && err.command !== 'CONN' ? err.command : phase.name,
        });
      if (err.code && OUR_FAULT.has(err.code))
        return finish(new SmtpInfrastructureError(`${err.code}: ${err.message}`));
      finish({ reply: noReplyName(err, phase, expired), phase: phase.name });
    };
    // The connection ended before we were done: the phase says what that means. A reply the server
    // sent just before closing (421) is handled first, by the command's own callback.
    const ended = () =>
      setImmediate(() => finish({ reply: noReplyName({} as SmtpError, phase, expired), phase: phase.name }));
    conn.once('error', failed);
    conn.once('end', ended);

    const deliver = () =>
      conn.send({ from: msg.returnPath, to: [msg.to] }, raw, (err, info) => {
        if (err) return failed(err);
        finish({ reply: String(info.response ?? '250'), phase: 'DONE' });
      });
    if (kept) return deliver();
    conn.connect(() => {
      if (!target.auth) return deliver();
      conn.login(target.auth, (err) => (err ? failed(err) : deliver()));
    });
  });
}

function openConnection(target: Target, ehloHostname: string, timeouts: SmtpTimeouts, watch: Watch) {
  const quiet = () => undefined;
  return new SMTPConnection({
    host: target.host,
    port: target.port,
    secure: target.secure,
    name: ehloHostname,
    // Also the TCP connect's own limit: an address that drops SYNs costs 30 s, not the kernel's
    // minutes. nodemailer counts the greeting and STARTTLS inside it too, so a greeting slower
    // than that is cut (postscreen's greeting pause is 6 s).
    connectionTimeout: timeouts.connect,
    greetingTimeout: timeouts.greeting,
    // A server that offers STARTTLS and then refuses it (454) still gets the message, in plain
    // text, as it would have without offering it: opportunistic, like the certificate check below.
    opportunisticTLS: !target.auth,
    // Inactivity backstop only: the watchdog's phase deadlines come first.
    socketTimeout: timeouts.dataEnd + 60_000,
    tls: { rejectUnauthorized: false, ...(target.servername && { servername: target.servername }) },
    debug: true,
    logger: {
      level: quiet,
      trace: quiet,
      debug: watch,
      info: watch,
      warn: quiet,
      error: quiet,
      fatal: quiet,
    },
  });
}

/** No reply at all (an error name of ours, `ECONNRESET`), or the server's 421: the session ended. */
const sessionEnded = (r: ParsedReply) => r.errorName !== null || r.code === 421;

/**
 * The error name for a session that ended without a reply. After the message was sent, no answer
 * (silence or a dropped connection) is its own reason: the message may have arrived all the same.
 */
function noReplyName(e: SmtpError, phase: Phase, expired: Phase | null): string {
  if (phase === DATA_SENT) return 'ENOREPLYAFTERDATA';
  if (expired || e.code === 'ETIMEDOUT') return 'ETIMEDOUT';
  const sys = /\b(E[A-Z]{4,})\b/.exec(e.message ?? '')?.[1];
  if (sys && sys !== 'ECONNECTION' && sys !== 'ESOCKET') return sys;
  return e.code === 'EDNS' ? 'ESERVFAIL' : 'ECONNRESET';
}

/** MX hosts by preference; no MX → the domain itself (its A record); NXDOMAIN / null MX → an error name. */
async function mxHostsFor(resolver: MxResolver, domain: string): Promise<string[] | { error: string }> {
  try {
    const records = await resolver.resolveMx(domain);
    // RFC 7505: a single MX "." says the domain accepts no mail at all.
    if (records.some((r) => r.exchange === '' || r.exchange === '.')) return { error: 'ENULLMX' };
    if (records.length === 0) return [domain];
    return [...records]
      .sort((a, b) => a.priority - b.priority)
      .slice(0, MAX_MX_HOSTS)
      .map((r) => r.exchange);
  } catch (err) {
    const code = dnsErrorCode(err);
    return code === 'ENODATA' ? [domain] : { error: code };
  }
}

/**
 * The host's IPv4 addresses (public ones only unless `allowPrivate`), or the DNS error name: an MX
 * host without address is skipped, one whose every address is non-public is ENOTPUBLIC.
 */
async function addressesOf(
  resolver: MxResolver,
  host: string,
  allowPrivate: boolean,
): Promise<string[] | { error: string }> {
  let all: string[];
  try {
    all = isIP(host) ? [host] : await resolver.resolve4(host);
  } catch (err) {
    return { error: dnsErrorCode(err) };
  }
  if (all.length === 0) return { error: 'ENODATA' };
  const usable = allowPrivate ? all : all.filter(isPublicIPv4);
  return usable.length ? usable : { error: 'ENOTPUBLIC' };
}

/**
 * A public unicast IPv4 address: not 0/8, 10/8, 100.64/10 (CGNAT), 127/8, 169.254/16, 172.16/12,
 * 192.0.0/24, 192.168/16, 198.18/15 (benchmarks), 224/3 (multicast, reserved, broadcast).
 */
export function isPublicIPv4(address: string): boolean {
  const p = address.split('.').map(Number);
  if (p.length !== 4 || p.some((n) => !Number.isInteger(n) || n < 0 || n > 255)) return false;
  const [a, b, c] = p as [number, number, number, number];
  return !(
    a === 0 ||
    a === 10 ||
    (a === 100 && b >= 64 && b <= 127) ||
    a === 127 ||
    (a === 169 && b === 254) ||
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 0 && c === 0) ||
    (a === 192 && b === 168) ||
    (a === 198 && (b === 18 || b === 19)) ||
    a >= 224
  );
}

function dnsErrorCode(err: unknown): string {
  const code = (err as { code?: string }).code;
  return code === 'ENOTFOUND' || code === 'ENODATA' || code === 'ETIMEOUT' ? code : 'ESERVFAIL';
}

function result(o: Outcome, mxHost: string | null, msg: OutgoingMessage, started: number): AttemptResult {
  // Cleaned where it enters: what the server said is kept as storable text of bounded size.
  const reply = cleanReply(o.reply);
  // A session that ended DONE had its message taken (nodemailer's verdict on the final reply): a
  // reply without a readable code (`2.0.0 Ok`, `250OK`) must not make it a soft bounce, sent again.
  const read = classify(reply);
  const classification: Classification =
    o.phase === 'DONE' && read.category !== 'delivered'
      ? {
          category: 'delivered',
          reason: 'accepted',
          code: read.code,
          enhancedCode: read.enhancedCode,
          rule: 'accepted.by_session',
        }
      : // A 5xx nothing explains is read as the address's only when it answered RCPT TO: before it
        // (our host, our sender) or after it (the message) it is no verdict on the address.
        read.rule === 'fallback.5xx' && o.phase !== 'RCPT TO'
        ? { ...read, category: 'blocked', reason: 'server_rejected', rule: 'fallback.5xx.not_at_rcpt' }
        : read;
  return {
    accepted: classification.category === 'delivered',
    reply,
    classification,
    mxHost,
    phase: o.phase,
    messageId: msg.messageId,
    durationMs: Date.now() - started,
  };
}
