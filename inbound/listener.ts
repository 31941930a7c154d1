/**
 * The late-bounce listener: an SMTP server for what comes back after a 250 (DSNs, feedback-loop
 * complaints) and for the List-Unsubscribe mailto. It takes mail only for return paths we signed, for
 * `unsubscribe+<token>@` with a token we signed and for the feedback address (550 at RCPT for anything
 * else), limits message size and connections, and answers 250 only once every report of the message is
 * in Temporal: a message it accepted is never lost.
 */
import type { Client } from '@temporalio/client';
import type { AddressInfo, Socket } from 'node:net';
import { SMTPServer, type SMTPServerSession } from 'smtp-server';
import { startLateReport } from '../contract/starters';
import { MAX_PARSED_BYTES, parseInbound } from './parse';
import { envelopeRecipient, reportsOf, unsubscribeReport, unsubscribeRecipient } from './reports';
import type { ReturnPathKeys } from './return-path';

export type ListenerDeps = {
  client: Client;
  taskQueue: string;
  keys: ReturnPathKeys;
  feedbackAddress: string;
  maxBytes: number;
  maxConnections: number;
  log?: (line: string) => void;
  /** How long handing one report to Temporal may take before the message is refused for now (451). */
  handoffDeadlineMs?: number;
};

export type BounceListener = { port: number; url: string; stop(): Promise<void> };

/** Recipients of one message the listener takes: returned mail has one, a DSN of a list a few. */
const MAX_RECIPIENTS = 20;
/** Connections from one address at once: a sending MTA opens a few, not the whole listener. */
const MAX_CONNECTIONS_PER_ADDRESS = 10;
/**
 * A connection's whole life: a client sending a byte now and then (slowloris) never trips the
 * idle timeout, and would hold its slot for good. 10 MB at a slow 100 KB/s take 100 s.
 */
const MAX_SESSION_MS = 5 * 60_000;

type Session = SMTPServerSession & { deliveries?: Array<string | null>; unsubscribes?: string[] };

const smtpError = (code: number, message: string) =>
  Object.assign(new Error(message), { responseCode: code });

export async function startBounceListener(
  deps: ListenerDeps,
  at: { port: number; host: string },
): Promise<BounceListener> {
  const log = deps.log ?? (() => undefined);
  const perAddress = new Map<string, number>();
  const counted = new Set<string>();
  const server = new SMTPServer({
    name: deps.keys.domain,
    banner: 'late bounces and feedback reports',
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    size: deps.maxBytes,
    maxClients: deps.maxConnections,
    // A silent client does not hold a connection slot for long.
    socketTimeout: 60_000,
    logger: false,
    onConnect(session, callback) {
      const from = session.remoteAddress;
      const open = perAddress.get(from) ?? 0;
      if (open >= MAX_CONNECTIONS_PER_ADDRESS)
        return callback(smtpError(421, '4.7.0 Too many connections from your address, try again later'));
      perAddress.set(from, open + 1);
      counted.add(session.id);
      callback();
    },
    onClose(session) {
      if (!counted.delete(session.id)) return;
      const open = (perAddress.get(session.remoteAddress) ?? 1) - 1;
      if (open > 0) perAddress.set(session.remoteAddress, open);
      else perAddress.delete(session.remoteAddress);
    },
    // smtp-server keeps one session object for all the messages of a connection (after RSET and
    // MAIL FROM too): what the last message was addressed to must not carry over to the next.
    onMailFrom(_address, session: Session, callback) {
      session.deliveries = [];
      session.unsubscribes = [];
      callback();
    },
    onRcptTo(address, session: Session, callback) {
      // A report names one delivery; a message to many of ours is no report (and costs work each).
      if ((session.deliveries?.length ?? 0) + (session.unsubscribes?.length ?? 0) >= MAX_RECIPIENTS)
        return callback(smtpError(452, '4.5.3 Too many recipients'));
      // The List-Unsubscribe mailto: a verified token unsubscribes its delivery's contact.
      const unsubscribe = unsubscribeRecipient(address.address, deps.keys);
      if (unsubscribe !== null) {
        (session.unsubscribes ??= []).push(unsubscribe);
        return callback();
      }
      const delivery = envelopeRecipient(address.address, deps.keys, deps.feedbackAddress);
      if (delivery === undefined) return callback(smtpError(550, '5.1.1 No such recipient here'));
      (session.deliveries ??= []).push(delivery);
      callback();
    },
    onData(stream, session: Session, callback) {
      const chunks: Buffer[] = [];
      let size = 0;
      stream.on('data', (chunk: Buffer) => {
        // Only what the parser reads is kept: 100 connections sending 10 MB each would otherwise
        // hold a gigabyte. The size is still counted in full, for the limit.
        if (size < MAX_PARSED_BYTES) chunks.push(chunk.subarray(0, MAX_PARSED_BYTES - size));
        size += chunk.length;
      });
      stream.on('end', () => {
        if ((stream as { sizeExceeded?: boolean }).sizeExceeded || size > deps.maxBytes)
          return callback(smtpError(552, '5.3.4 Message too big'));
        handle(Buffer.concat(chunks), session.deliveries ?? [], session.unsubscribes ?? []).then(
          () => callback(null, 'Report received'),
          (err: unknown) => {
            log(`could not hand a report to Temporal: ${(err as Error).message}`);
            // Not accepted: the sending server keeps the message and tries again later.
            callback(smtpError(451, '4.3.0 Try again later'));
          },
        );
      });
    },
  });
  server.on('error', () => undefined); // a client hanging up mid-session is not the listener's failure
  server.server.on('connection', (socket: Socket) => {
    const timer = setTimeout(() => socket.destroy(), MAX_SESSION_MS);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
  });

  async function handle(
    raw: Buffer,
    deliveries: Array<string | null>,
    unsubscribes: string[],
  ): Promise<void> {
    const receivedAt = new Date().toISOString();
    // A mail to the unsubscribe mailto may say anything: only returned mail is parsed.
    const parsed = deliveries.length ? await parseInbound(raw) : null;
    const reports = [
      ...[...new Set(unsubscribes)].map((deliveryId) => unsubscribeReport(deliveryId, receivedAt)),
      ...(parsed
        ? [...new Set(deliveries)].flatMap((deliveryId) =>
            reportsOf(parsed, { deliveryId, receivedAt }, deps.keys),
          )
        : []),
    ];
    // Bounded: while Temporal is away the sending server is told to come back (451), not kept waiting.
    for (const report of reports)
      await deps.client.connection.withDeadline(Date.now() + (deps.handoffDeadlineMs ?? 15_000), () =>
        startLateReport(deps.client, report, { taskQueue: deps.taskQueue }),
      );
    if (reports.length)
      log(`${reports.length} report(s): ${reports.map((r) => `${r.kind} ${r.deliveryId}`).join(', ')}`);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(at.port, at.host, () => resolve());
  });
  const { port } = server.server.address() as AddressInfo;
  return {
    port,
    url: `smtp://${at.host}:${port}`,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
