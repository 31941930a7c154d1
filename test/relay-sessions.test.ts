/**
 * Sessions with the relay are kept between messages (activities/smtp-sessions.ts): a message on a
 * kept session skips the connect, greeting, EHLO and AUTH. Only a session whose message was taken
 * is kept; a kept session the relay dropped meanwhile never turns into a recipient's soft bounce.
 */
import { createSmtpSender, type OutgoingMessage } from '../activities/smtp';
import { DEFAULT_SESSION_LIMITS, type SessionLimits } from '../activities/smtp-sessions';
import { type BounceLab, startBounceLab } from '../dev/bounce-lab';
import { until } from '../dev/until';
import { startRudeSmtp } from './support/rude-smtp';

let lab: BounceLab;
beforeAll(async () => {
  lab = await startBounceLab();
});
afterAll(() => lab?.stop());

const message = (to: string, n = 1): OutgoingMessage => ({
  to,
  from: 'news@sender.example',
  fromName: null,
  returnPath: `bounces+${n}@sender.example`,
  subject: 'Hello',
  text: 'Hi',
  html: null,
  messageId: `<relay-sessions-${n}-${to}>`,
  headers: {},
});

function senderTo(url: string, limits: Partial<SessionLimits> = {}) {
  return createSmtpSender({
    relayUrl: url,
    ehloHostname: 'test.localhost',
    timeoutMs: 5_000,
    relaySessions: { ...DEFAULT_SESSION_LIMITS, ...limits },
  });
}

/** A sender to the lab, closed afterwards; `before` counts the lab's sessions opened until then. */
async function withSender(
  limits: Partial<SessionLimits>,
  run: (sender: ReturnType<typeof senderTo>, before: number) => Promise<void>,
): Promise<void> {
  const sender = senderTo(lab.url, limits);
  try {
    await run(sender, lab.sessionsOpened());
  } finally {
    sender.close();
  }
}

const settled = (what: string, check: () => boolean) =>
  until(() => Promise.resolve(check()), what, { timeoutMs: 10_000, everyMs: 20 });

test('when messages follow one another, then they go on one session', async () => {
  await withSender({}, async (sender, before) => {
    for (let n = 1; n <= 3; n++) {
      const result = await sender.send(message('one-session@ok.test', n));
      expect(result.classification).toMatchObject({ category: 'delivered' });
    }
    expect(lab.received('one-session@ok.test')).toBe(3);
    expect(lab.sessionsOpened() - before).toBe(1);
  });
  // Closing the sender ends its kept session with QUIT.
  await settled('the kept session closed', () => lab.openSessions() === 0);
});

test('when messages are sent at once, then each has a session of its own, kept for the next round', async () => {
  await withSender({}, async (sender, before) => {
    const round = (r: number) =>
      Promise.all([1, 2, 3, 4].map((n) => sender.send(message(`at-once-${n}@ok.test`, r))));
    for (const result of await round(1)) expect(result.accepted).toBe(true);
    expect(lab.sessionsOpened() - before).toBe(4);
    for (const result of await round(2)) expect(result.accepted).toBe(true);
    expect(lab.sessionsOpened() - before).toBe(4);
  });
});

test('when the recipient is refused, then the session is closed, not kept', async () => {
  await withSender({}, async (sender, before) => {
    const refused = await sender.send(message('gone@unknown.test'));
    expect(refused.classification).toMatchObject({ category: 'hard_bounce' });
    await settled('the refused session closed', () => lab.openSessions() === 0);
    expect((await sender.send(message('after-refusal@ok.test'))).accepted).toBe(true);
    expect(lab.sessionsOpened() - before).toBe(2);
  });
});

test('when a kept session is left unused, then it is closed after the idle limit', async () => {
  await withSender({ idleMs: 200 }, async (sender, before) => {
    expect((await sender.send(message('idle@ok.test', 1))).accepted).toBe(true);
    await settled('the idle session closed', () => lab.openSessions() === 0);
    expect((await sender.send(message('idle@ok.test', 2))).accepted).toBe(true);
    expect(lab.sessionsOpened() - before).toBe(2);
  });
});

test('when a session has carried its number of messages, then the next goes on a new one', async () => {
  await withSender({ maxMessages: 2 }, async (sender, before) => {
    for (let n = 1; n <= 3; n++)
      expect((await sender.send(message('limited@ok.test', n))).accepted).toBe(true);
    expect(lab.sessionsOpened() - before).toBe(2);
  });
});

test.each(['reset-on-second-mail', 'pipelining-reset-on-second-mail'] as const)(
  'when the relay dropped a kept session without a word (%s), then the message goes on a new session, once',
  async (rudeness) => {
    const relay = await startRudeSmtp(rudeness);
    const sender = senderTo(`smtp://127.0.0.1:${relay.port}`);
    try {
      expect((await sender.send(message('first@rude.test'))).accepted).toBe(true);
      const second = await sender.send(message('second@rude.test'));
      // Not a soft bounce of the recipient: the reset came before anything of the message was sent.
      expect(second.classification).toMatchObject({ category: 'delivered' });
      expect(relay.opened()).toBe(2);
    } finally {
      sender.close();
      await relay.stop();
    }
  },
);

test('when a send on a kept session is cancelled, then that session is closed, not kept', async () => {
  await withSender({}, async (sender, before) => {
    expect((await sender.send(message('before-cancel@ok.test'))).accepted).toBe(true);
    const cancel = new AbortController();
    const sending = sender.send(message('hang@slow.test'), cancel.signal);
    await settled('the lab hangs at RCPT', () => lab.attempts('hang@slow.test') === 1);
    expect(lab.sessionsOpened() - before).toBe(1); // the kept session carries it
    cancel.abort();
    await expect(sending).rejects.toMatchObject({ name: 'SendCancelled' });
    await settled('the cancelled session closed', () => lab.openSessions() === 0);
  });
});

test('when the relay says 421 on a kept session, then the message is asked again on a new session, and a second 421 is the verdict', async () => {
  // The lab's busy.test answers 421 at RCPT: a reply that closes the session, whoever it is about.
  await withSender({}, async (sender, before) => {
    expect((await sender.send(message('warm@ok.test'))).accepted).toBe(true);
    const busy = await sender.send(message('twice@busy.test'));
    expect(busy.classification).toMatchObject({ category: 'soft_bounce', code: 421 });
    expect(lab.attempts('twice@busy.test')).toBe(2);
    expect(lab.sessionsOpened() - before).toBe(2);
  });
});
