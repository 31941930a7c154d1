/**
 * Hands one message to a receiving server and says what it answered. Two routes: a relay
 * (SMTP_URL, one pooled transport) or straight to the recipient domain's MX hosts. Every refusal
 * comes back as data; only our own failures (bad relay credentials, bad message) throw.
 */
import { promises as dns, type MxRecord } from 'node:dns';
import { isIP } from 'node:net';
import nodemailer from 'nodemailer';
import type { Transporter } from 'nodemailer';
import { classify } from '../domain/classification';
import type { AttemptResult } from '../contract/delivery';
import { recipientDomain } from '../domain/address';

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
};

export type SmtpOptions = {
  /** Relay URL; without it, direct to MX. */
  relayUrl?: string;
  ehloHostname: string;
  timeoutMs: number;
  /** Direct mode only: the port of receiving servers (25; tests point it elsewhere). */
  mxPort?: number;
  /** Direct mode only: where MX and A records come from (the system resolver unless given). */
  resolver?: MxResolver;
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

type SmtpError = Error & { code?: string; response?: string; responseCode?: number; command?: string };

// Client-side failures that say nothing about the recipient and must not be retried as if they did.
const OUR_FAULT = new Set(['EAUTH', 'ENOAUTH', 'EOAUTH2', 'EMESSAGE', 'ESTREAM', 'EENVELOPE_API']);

export function createSmtpSender(opts: SmtpOptions) {
  const common = {
    name: opts.ehloHostname,
    connectionTimeout: opts.timeoutMs,
    greetingTimeout: opts.timeoutMs,
    socketTimeout: opts.timeoutMs,
    dnsTimeout: opts.timeoutMs,
  };
  const relay: Transporter | null = opts.relayUrl
    ? nodemailer.createTransport({
        ...common,
        url: opts.relayUrl,
        pool: true,
        maxConnections: 20,
        maxMessages: 1000,
        // The pool would silently re-send after a dropped connection: every try must be an
        // attempt in the workflow history instead, so the pool never retries on its own.
        maxRequeues: 0,
      } as never)
    : null;

  async function sendVia(
    transport: Transporter,
    msg: OutgoingMessage,
    mxHost: string | null,
    started: number,
  ): Promise<AttemptResult> {
    try {
      const info = await transport.sendMail({
        envelope: { from: msg.returnPath, to: [msg.to] },
        from: msg.fromName ? { name: msg.fromName, address: msg.from } : msg.from,
        to: msg.to,
        subject: msg.subject,
        text: msg.text ?? undefined,
        html: msg.html ?? undefined,
        messageId: msg.messageId,
        headers: msg.headers,
      });
      return result(String(info.response), mxHost, 'DONE', msg, started);
    } catch (err) {
      const e = err as SmtpError;
      if (e.code && OUR_FAULT.has(e.code)) throw new SmtpInfrastructureError(`${e.code}: ${e.message}`);
      if (e.response && e.responseCode) return result(e.response, mxHost, e.command ?? 'CONN', msg, started);
      return result(errorName(e), mxHost, e.command ?? 'CONN', msg, started);
    }
  }

  const resolver = opts.resolver ?? new dns.Resolver({ timeout: opts.timeoutMs, tries: 2 });

  async function send(msg: OutgoingMessage): Promise<AttemptResult> {
    const started = Date.now();
    if (relay) return sendVia(relay, msg, null, started);

    const hosts = await mxHostsFor(resolver, recipientDomain(msg.to));
    if (!Array.isArray(hosts)) return result(hosts.error, null, 'DNS', msg, started);
    let last: AttemptResult | undefined;
    for (const host of hosts) {
      const address = await addressOf(resolver, host);
      if (typeof address !== 'string') {
        // The domain itself without an address accepts no mail (hard); a named MX host that does
        // not resolve is the domain's misconfiguration of the day, which MTAs defer (soft).
        const implicit = hosts.length === 1 && host === recipientDomain(msg.to);
        const gone = address.error === 'ENOTFOUND' || address.error === 'ENODATA';
        last = result(gone && implicit ? 'ENOTFOUND' : 'ESERVFAIL', host, 'DNS', msg, started);
        continue;
      }
      const transport = nodemailer.createTransport({
        ...common,
        host: address,
        port: opts.mxPort ?? 25,
        secure: false,
        // STARTTLS whenever offered, opportunistically: MX certificates are often self-signed, and
        // refusing them would only push the message back to plain text.
        servername: host,
        tls: { rejectUnauthorized: false, servername: host },
      } as never);
      try {
        last = await sendVia(transport, msg, host, started);
      } finally {
        transport.close();
      }
      // A reply from the server is its verdict; only an unreachable host sends us to the next one.
      if (last.classification.code !== null) return last;
    }
    return last!;
  }

  return { send, close: () => relay?.close() };
}

/** MX hosts by preference; no MX → the domain itself (its A record); NXDOMAIN / null MX → an error name. */
async function mxHostsFor(resolver: MxResolver, domain: string): Promise<string[] | { error: string }> {
  try {
    const records = await resolver.resolveMx(domain);
    // RFC 7505: a single MX "." says the domain accepts no mail at all.
    if (records.some((r) => r.exchange === '' || r.exchange === '.')) return { error: 'ENULLMX' };
    if (records.length === 0) return [domain];
    return [...records].sort((a, b) => a.priority - b.priority).map((r) => r.exchange);
  } catch (err) {
    const code = dnsErrorCode(err);
    return code === 'ENODATA' ? [domain] : { error: code };
  }
}

/** The host's IPv4 address, or the DNS error name (an MX host without address is skipped). */
async function addressOf(resolver: MxResolver, host: string): Promise<string | { error: string }> {
  if (isIP(host)) return host;
  try {
    const [address] = await resolver.resolve4(host);
    return address ?? { error: 'ENODATA' };
  } catch (err) {
    return { error: dnsErrorCode(err) };
  }
}

function dnsErrorCode(err: unknown): string {
  const code = (err as { code?: string }).code;
  return code === 'ENOTFOUND' || code === 'ENODATA' || code === 'ETIMEOUT' ? code : 'ESERVFAIL';
}

function errorName(e: SmtpError): string {
  if (e.code === 'ETIMEDOUT') return 'ETIMEDOUT';
  const sys = /\b(E[A-Z]{4,})\b/.exec(e.message)?.[1];
  if (sys && sys !== 'ECONNECTION' && sys !== 'ESOCKET') return sys;
  return e.code === 'EDNS' ? 'ESERVFAIL' : 'ECONNRESET';
}

function result(
  reply: string,
  mxHost: string | null,
  phase: string,
  msg: OutgoingMessage,
  started: number,
): AttemptResult {
  const classification = classify(reply);
  return {
    accepted: classification.category === 'delivered',
    reply: reply.trim(),
    classification,
    mxHost,
    phase,
    messageId: msg.messageId,
    durationMs: Date.now() - started,
  };
}
