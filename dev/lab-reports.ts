/**
 * What the bounce lab sends back after it accepted a message for `latehard.test`, `latefull.test`
 * or `complain.test`: an RFC 3464 delivery status notification to the message's return path, or an
 * RFC 5965 feedback report (a complaint) to the feedback-loop address, as receiving servers and
 * mailbox providers do. Sent to the late-bounce listener over SMTP, from the null sender.
 */
import nodemailer from 'nodemailer';

export type LateKind = 'hard' | 'full' | 'complaint';

export const LATE_DOMAINS: Record<string, LateKind> = {
  'latehard.test': 'hard',
  'latefull.test': 'full',
  'complain.test': 'complaint',
};

export type Returned = {
  /** The envelope sender of the accepted message (its signed return path). */
  returnPath: string;
  recipient: string;
  /** The accepted message's header block, returned inside the report. */
  headers: string;
};

export async function sendLateReport(
  kind: LateKind,
  msg: Returned,
  to: { url: string; feedbackAddress: string },
): Promise<void> {
  const transport = nodemailer.createTransport({ url: to.url, connectionTimeout: 5_000 } as never);
  try {
    const rcpt = kind === 'complaint' ? to.feedbackAddress : msg.returnPath;
    const raw = kind === 'complaint' ? arf(msg, rcpt) : dsn(kind, msg, rcpt);
    await transport.sendMail({ envelope: { from: '', to: [rcpt] }, raw });
  } finally {
    transport.close();
  }
}

const boundary = () => `lab-${Math.random().toString(36).slice(2)}`;

function dsn(kind: 'hard' | 'full', msg: Returned, to: string): string {
  const b = boundary();
  const [status, diagnostic] =
    kind === 'hard'
      ? ['5.1.1', `550 5.1.1 <${msg.recipient}>: Recipient address rejected: User unknown`]
      : ['5.2.2', `552 5.2.2 <${msg.recipient}>: Mailbox full`];
  return [
    'From: Mail Delivery System <MAILER-DAEMON@bounce-lab.localhost>',
    `To: ${to}`,
    'Subject: Undelivered Mail Returned to Sender',
    'Auto-Submitted: auto-replied',
    'MIME-Version: 1.0',
    `Content-Type: multipart/report; report-type=delivery-status; boundary="${b}"`,
    '',
    `--${b}`,
    'Content-Type: text/plain; charset=us-ascii',
    '',
    `Your message could not be delivered to <${msg.recipient}>.`,
    '',
    `--${b}`,
    'Content-Type: message/delivery-status',
    '',
    'Reporting-MTA: dns; bounce-lab.localhost',
    '',
    `Final-Recipient: rfc822; ${msg.recipient}`,
    'Action: failed',
    `Status: ${status}`,
    'Remote-MTA: dns; mx.bounce-lab.localhost',
    `Diagnostic-Code: smtp; ${diagnostic}`,
    '',
    `--${b}`,
    'Content-Type: text/rfc822-headers',
    '',
    msg.headers.trim(),
    '',
    `--${b}--`,
    '',
  ].join('\r\n');
}

function arf(msg: Returned, to: string): string {
  const b = boundary();
  return [
    'From: Feedback Loop <fbl@bounce-lab.localhost>',
    `To: ${to}`,
    'Subject: FW: complaint',
    'MIME-Version: 1.0',
    `Content-Type: multipart/report; report-type=feedback-report; boundary="${b}"`,
    '',
    `--${b}`,
    'Content-Type: text/plain; charset=us-ascii',
    '',
    'This is an email abuse report for an email message received from your IP.',
    '',
    `--${b}`,
    'Content-Type: message/feedback-report',
    '',
    'Feedback-Type: abuse',
    'User-Agent: bounce-lab/1.0',
    'Version: 1',
    `Original-Rcpt-To: ${msg.recipient}`,
    '',
    `--${b}`,
    'Content-Type: text/rfc822-headers',
    '',
    msg.headers.trim(),
    '',
    `--${b}--`,
    '',
  ].join('\r\n');
}
