/**
 * The bounce lab: a local SMTP server that plays the recipient's mail server, answering by the
 * recipient's domain exactly as the table of docs/delivery-rules.md says. `npm start` relays
 * through it when no SMTP_URL is set; the tests send to it over real SMTP.
 */
import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerAddress } from 'smtp-server';
import { recipientDomain } from '../domain/address';
import { LATE_DOMAINS, sendLateReport } from './lab-reports';

type Reply = { code: number; message: string } | 'accept' | 'hang';

/** Replies by domain; `n` is the attempt number of this address (1 for the first RCPT TO). */
export const LAB_DOMAINS: Record<string, (addr: string, n: number) => Reply> = {
  'ok.test': () => 'accept',
  'unknown.test': (a) => ({ code: 550, message: `5.1.1 <${a}>: Recipient address rejected: User unknown` }),
  'full.test': (a) => ({ code: 452, message: `4.2.2 <${a}>: Mailbox full` }),
  'busy.test': () => ({ code: 421, message: '4.3.2 Service not available, try again later' }),
  'grey.test': (_a, n) =>
    n === 1 ? { code: 451, message: '4.7.1 Greylisted, please try again later' } : 'accept',
  'flaky.test': (_a, n) => (n <= 2 ? { code: 451, message: '4.3.0 Temporary failure' } : 'accept'),
  'blocked.test': () => ({
    code: 554,
    message: '5.7.1 Service unavailable; client host blocked using zen.spamhaus.org',
  }),
  'slow.test': () => 'hang',
};

export type BounceLab = {
  port: number;
  url: string;
  /** How many times RCPT TO named this address. */
  attempts(address: string): number;
  /** How many messages to this address were accepted (for duplicate counts in drills). */
  received(address: string): number;
  /**
   * The last message accepted for this address, as it arrived (headers and body, up to 1 MB): what a
   * receiver checks the DKIM signature of. Only the latest KEPT_MESSAGES messages are kept.
   */
  lastMessage(address: string): Buffer | undefined;
  /** SMTP sessions open right now: sends in flight, and sessions a relay's sender keeps between them. */
  openSessions(): number;
  /** SMTP sessions opened since the lab started, open or closed since. */
  sessionsOpened(): number;
  /** Messages begun (MAIL FROM) since the lab started, on any session. */
  messagesBegun(): number;
  stop(): Promise<void>;
};

export type LabOptions = {
  port?: number;
  host?: string;
  /** The late-bounce listener: where DSNs (to the return path) and complaints (to the feedback address) go. */
  reportsTo?: { url: string; feedbackAddress: string; delayMs?: number };
};

/** Messages kept whole (the bench sends 100,000: the lab must not keep them all). */
const KEPT_MESSAGES = 1_000;
const KEPT_BYTES = 1_000_000;

export async function startBounceLab(opts: LabOptions = {}): Promise<BounceLab> {
  const attempts = new Map<string, number>();
  const received = new Map<string, number>();
  const kept = new Map<string, Buffer>();
  let open = 0;
  let opened = 0;
  let begun = 0;
  const server = new SMTPServer({
    name: 'bounce-lab.localhost',
    banner: 'bounce lab',
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    logger: false,
    onConnect(_session, callback) {
      open++;
      opened++;
      callback();
    },
    onClose() {
      open--;
    },
    onMailFrom(_address, _session, callback) {
      begun++;
      callback();
    },
    // The lab is a recipient's server, not an open relay for the world: loopback only (see host).
    onRcptTo(address: SMTPServerAddress, _session, callback) {
      const addr = address.address.toLowerCase();
      const n = (attempts.get(addr) ?? 0) + 1;
      attempts.set(addr, n);
      const reply = (LAB_DOMAINS[recipientDomain(addr)] ?? (() => 'accept'))(addr, n);
      if (reply === 'accept') return callback();
      if (reply === 'hang') return; // never answers: the sender's timeout must fire
      callback(Object.assign(new Error(reply.message), { responseCode: reply.code }));
    },
    onData(stream, session, callback) {
      // The message is kept (bounded): its header block for the late reports that return it, the whole
      // for tests that check what arrived.
      const chunks: Buffer[] = [];
      let size = 0;
      stream.on('data', (chunk: Buffer) => {
        if (size < KEPT_BYTES) chunks.push(chunk);
        size += chunk.length;
      });
      stream.on('end', () => {
        const message = Buffer.concat(chunks).subarray(0, KEPT_BYTES);
        const head = message.subarray(0, 64_000).toString('latin1');
        for (const rcpt of session.envelope.rcptTo) {
          const addr = rcpt.address.toLowerCase();
          received.set(addr, (received.get(addr) ?? 0) + 1);
          kept.delete(addr);
          kept.set(addr, message);
          if (kept.size > KEPT_MESSAGES) kept.delete(kept.keys().next().value!);
          const late = LATE_DOMAINS[recipientDomain(addr)];
          const from = session.envelope.mailFrom;
          if (late && opts.reportsTo && from) {
            const returned = {
              returnPath: from.address,
              recipient: rcpt.address,
              headers: head.split('\r\n\r\n')[0]!,
            };
            // A little later, as a receiving server that accepted first and checked afterwards.
            setTimeout(() => {
              sendLateReport(late, returned, opts.reportsTo!).catch((err: Error) =>
                console.warn(`bounce lab: could not send a late report: ${err.message}`),
              );
            }, opts.reportsTo.delayMs ?? 500).unref();
          }
        }
        callback(null, 'Message accepted');
      });
    },
  });
  server.on('error', () => undefined); // a client hanging up mid-session is not the lab's failure
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const { port } = server.server.address() as AddressInfo;
  return {
    port,
    url: `smtp://${host}:${port}`,
    attempts: (a) => attempts.get(a.toLowerCase()) ?? 0,
    received: (a) => received.get(a.toLowerCase()) ?? 0,
    lastMessage: (a) => kept.get(a.toLowerCase()),
    openSessions: () => open,
    sessionsOpened: () => opened,
    messagesBegun: () => begun,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
