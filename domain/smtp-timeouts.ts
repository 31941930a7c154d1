/**
 * How long an SMTP client waits, per phase, as RFC 5321 §4.5.3.2 asks: 5 minutes for the greeting
 * and for MAIL and RCPT, 2 for the answer to DATA, 3 for each block of the message, and 10 after the
 * final "." (the server may be checking the whole message: giving up sooner makes us send it again).
 * Connecting is not in the RFC: 30 s, as Postfix does.
 */
const SECOND = 1_000;
const MINUTE = 60 * SECOND;

export type SmtpPhase = 'connect' | 'greeting' | 'command' | 'dataStart' | 'dataBlock' | 'dataEnd';
export type SmtpTimeouts = Record<SmtpPhase, number>;

export const RFC_5321_TIMEOUTS: SmtpTimeouts = {
  connect: 30 * SECOND,
  greeting: 5 * MINUTE,
  /** EHLO, STARTTLS, AUTH, MAIL FROM, RCPT TO (RFC: 5 minutes for MAIL and RCPT). */
  command: 5 * MINUTE,
  dataStart: 2 * MINUTE,
  dataBlock: 3 * MINUTE,
  dataEnd: 10 * MINUTE,
};

/** Every phase at most `capMs` (tests and the bounce lab use seconds). */
export function cappedTimeouts(capMs?: number): SmtpTimeouts {
  if (capMs === undefined) return RFC_5321_TIMEOUTS;
  const t = { ...RFC_5321_TIMEOUTS };
  for (const k of Object.keys(t) as SmtpPhase[]) t[k] = Math.min(t[k], capMs);
  return t;
}

/**
 * No send lasts longer than this, all MX hosts tried: one full session at RFC pace is about 50
 * minutes (greeting, EHLO, STARTTLS, EHLO again, MAIL, RCPT, DATA, the message, the final answer).
 */
export const SEND_DEADLINE_MS = 55 * MINUTE;
/** The send activity's start-to-close timeout: the longest send, and time to record its result. */
export const SEND_ACTIVITY_TIMEOUT_MS = SEND_DEADLINE_MS + 5 * MINUTE;
