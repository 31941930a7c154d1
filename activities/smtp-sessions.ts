/**
 * Sessions with the relay (SMTP_URL) kept open between messages, as Postfix's connection cache does
 * for its relayhost: a message on a kept session costs MAIL, RCPT and DATA, not a TCP connect, the
 * greeting, EHLO, STARTTLS's TLS handshake and AUTH again (docs/performance.md). Only a session whose
 * last message was taken is kept; one that failed in any way is closed.
 */
import type SMTPConnection from 'nodemailer/lib/smtp-connection';

/** How long a server gets to answer our QUIT, before we hang up. */
export const QUIT_GRACE_MS = 5_000;

export type SessionLimits = {
  /** A kept session unused this long is closed (Postfix: 2 s; servers wait 5 min: RFC 5321). */
  idleMs: number;
  /** Messages a session carries before it is closed (some relays limit them per connection). */
  maxMessages: number;
  /** A session is not reused once this old (Postfix's smtp_connection_reuse_time_limit). */
  maxAgeMs: number;
  /** Sessions kept at once; the send activities in flight bound them already. */
  maxKept: number;
};

export const DEFAULT_SESSION_LIMITS: SessionLimits = {
  idleMs: 5_000,
  maxMessages: 100,
  maxAgeMs: 300_000,
  maxKept: 50,
};

/** What the session's transaction log tells, routed to the send using the session now. */
export type Watch = (meta: unknown, message: unknown) => void;

/** One SMTP connection, ready for MAIL FROM once connected (and authenticated). */
export type Session = {
  conn: SMTPConnection;
  /** The send in progress reads the transaction log through this; nobody while kept. */
  watch: Watch;
  /** Messages taken on it so far. */
  messages: number;
  openedAt: number;
};

const ignore = () => undefined;

/** Ends a session: QUIT after a message was taken, otherwise hang up at once. */
export function endSession(conn: SMTPConnection, polite: boolean): void {
  // An error after this (a reset while QUIT waits) has nobody left to tell: never an unhandled one.
  conn.on('error', ignore);
  if (!polite) return conn.close();
  conn.quit();
  // A server that never answers QUIT (or trickles bytes after it) does not keep the socket.
  setTimeout(() => conn.close(), QUIT_GRACE_MS).unref();
}

export function createSessionKeeper(limits: SessionLimits = DEFAULT_SESSION_LIMITS) {
  /** Most recently used last: taken first, the others age out. */
  const kept: { session: Session; forget: () => void }[] = [];
  let closed = false;

  const drop = (entry: (typeof kept)[number]) => {
    const at = kept.indexOf(entry);
    if (at >= 0) kept.splice(at, 1);
    entry.forget();
  };

  return {
    /** A kept session, still open, or none. */
    take(): Session | undefined {
      for (let entry = kept.pop(); entry; entry = kept.pop()) {
        entry.forget();
        if (!entry.session.conn.destroyed) return entry.session;
      }
      return undefined;
    },

    /** After a message was taken: kept for the next one, or closed politely. */
    keep(session: Session): void {
      const { conn } = session;
      session.watch = ignore;
      const spent =
        session.messages >= limits.maxMessages || Date.now() - session.openedAt >= limits.maxAgeMs;
      if (closed || spent || conn.destroyed || kept.length >= limits.maxKept) return endSession(conn, true);
      // While kept, the server may say 421 or hang up (its idle timeout): nodemailer ends the
      // connection ('end'), and it leaves the list. An error has a listener, never crashes the worker.
      const onEnd = () => drop(entry);
      const timer = setTimeout(() => {
        drop(entry);
        endSession(conn, true);
      }, limits.idleMs);
      timer.unref();
      const entry = {
        session,
        forget: () => {
          clearTimeout(timer);
          conn.removeListener('end', onEnd);
          conn.removeListener('error', ignore);
        },
      };
      conn.once('end', onEnd);
      conn.on('error', ignore);
      kept.push(entry);
    },

    /** Kept sessions: QUIT each; none is kept from now on. */
    close(): void {
      closed = true;
      for (const entry of kept.splice(0)) {
        entry.forget();
        endSession(entry.session.conn, true);
      }
    },

    /** Sessions kept now (tests). */
    size: () => kept.length,
  };
}

export type SessionKeeper = ReturnType<typeof createSessionKeeper>;
