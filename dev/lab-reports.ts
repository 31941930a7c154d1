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
    await transport.sendMail(lateReportMail(kind, msg, to.feedbackAddress));
  } finally {
    transport.close();
  }
}

/** The report as a mail to send: a DSN to the return path, a complaint to the feedback address. */
export function lateReportMail(
  kind: LateKind,
  msg: Returned,
  feedbackAddress: string,
  rcpt = kind === 'complaint' ? feedbackAddress : msg.returnPath,
): { envelope: { from: string; to: string[] }; raw: string } {
  const raw = kind === 'complaint' ? arf(msg, rcpt) : dsn(kind, msg, rcpt);
  return { envelope: { from: '', to: [rcpt] }, raw };
}

/**
 * A multipart/report (RFC 6522): a human-readable part, the machine-readable report, and the
 * returned message's headers. Only the lab writes one; the service reads them with mailparser.
 */
function report(r: {
  headers: string[];
  reportType: 'delivery-status' | 'feedback-report';
  text: string;
  fields: string[];
  returnedHeaders: string;
}): string {
  const b = `lab-${Math.random().toString(36).slice(2)}`;
  return [
    ...r.headers,
    'MIME-Version: 1.0',
    `Content-Type: multipart/report; report-type=${r.reportType}; boundary="${b}"`,
    '',
    `--${b}`,
    'Content-Type: text/plain; charset=us-ascii',
    '',
    r.text,
    '',
    `--${b}`,
    `Content-Type: message/${r.reportType}`,
    '',
    ...r.fields,
    '',
    `--${b}`,
    'Content-Type: text/rfc822-headers',
    '',
    r.returnedHeaders.trim(),
    '',
    `--${b}--`,
    '',
  ].join('\r\n');
}

function dsn(kind: 'hard' | 'full', msg: Returned, to: string): string {
  const [status, diagnostic] =
    kind === 'hard'
      ? ['5.1.1', `550 5.1.1 <${msg.recipient}>: Recipient address rejected: User unknown`]
      : ['5.2.2', `552 5.2.2 <${msg.recipient}>: Mailbox full`];
  return report({
    headers: [
      'From: Mail Delivery System <MAILER-DAEMON@bounce-lab.localhost>',
      `To: ${to}`,
      'Subject: Undelivered Mail Returned to Sender',
      'Auto-Submitted: auto-replied',
    ],
    reportType: 'delivery-status',
    text: `Your message could not be delivered to <${msg.recipient}>.`,
    fields: [
      'Reporting-MTA: dns; bounce-lab.localhost',
      '',
      `Final-Recipient: rfc822; ${msg.recipient}`,
      'Action: failed',
      `Status: ${status}`,
      'Remote-MTA: dns; mx.bounce-lab.localhost',
      `Diagnostic-Code: smtp; ${diagnostic}`,
    ],
    returnedHeaders: msg.headers,
  });
}

function arf(msg: Returned, to: string): string {
  return report({
    headers: ['From: Feedback Loop <fbl@bounce-lab.localhost>', `To: ${to}`, 'Subject: FW: complaint'],
    reportType: 'feedback-report',
    text: 'This is an email abuse report for an email message received from your IP.',
    fields: [
      'Feedback-Type: abuse',
      'User-Agent: bounce-lab/1.0',
      'Version: 1',
      `Original-Rcpt-To: ${msg.recipient}`,
    ],
    returnedHeaders: msg.headers,
  });
}
