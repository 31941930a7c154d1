/**
 * Drill: receiving servers that misbehave. Each case ends with the server's verdict read right (a
 * soft bounce, retried later, when there is none) within the configured timeout, the send never
 * throws, and no connection is left holding a worker slot.
 */
import type { AttemptResult } from '../../contract/delivery';
import { createSmtpSender, type OutgoingMessage } from '../../activities/smtp';
import { until } from '../../dev/until';
import { reportDrill } from '../support/drill';
import { type Rudeness, type RudeServer, startRudeSmtp } from '../support/rude-smtp';

const TIMEOUT_MS = 1_000;

const message: OutgoingMessage = {
  to: 'ann@rude.test',
  from: 'news@sender.example',
  fromName: null,
  returnPath: 'bounces+1@sender.example',
  subject: 'Hello',
  text: 'Hi',
  html: null,
  messageId: '<delivery-1@sender.example>',
  headers: { 'X-Delivery-Id': '1' },
};

/** Sends `message` through a server that misbehaves as asked; both are closed afterwards. */
async function sendThrough(
  rudeness: Rudeness,
  check: (result: AttemptResult, server: RudeServer) => void | Promise<void>,
) {
  const server = await startRudeSmtp(rudeness);
  const sender = createSmtpSender({
    relayUrl: `smtp://127.0.0.1:${server.port}`,
    ehloHostname: 'test.localhost',
    timeoutMs: TIMEOUT_MS,
  });
  try {
    await check(await sender.send(message), server);
  } finally {
    sender.close();
    await server.stop();
  }
}

test.each<[Rudeness, string]>([
  ['silent', 'timeout'],
  ['reset-on-rcpt', 'network_error'],
  ['close-after-rcpt', 'network_error'],
  ['multiline-busy', 'server_busy'],
  // The message was sent: no answer may still mean it arrived, a reason of its own.
  ['stall-after-data', 'no_answer_after_data'],
])('a server that is %s → soft bounce %s within the timeout', async (rudeness, reason) => {
  const started = Date.now();
  await sendThrough(rudeness, (result) => {
    const elapsed = Date.now() - started;
    expect(result.classification).toMatchObject({ category: 'soft_bounce', reason });
    expect(result.accepted).toBe(false);
    // Connection + greeting + one reply at most: never an open-ended wait.
    expect(elapsed).toBeLessThan(3 * TIMEOUT_MS + 500);
    reportDrill('misbehaving SMTP server', {
      server: rudeness,
      outcome: `soft_bounce ${reason}`,
      elapsedMs: elapsed,
    });
  });
});

test('the multi-line reply is kept whole for the record, with its code', async () => {
  await sendThrough('multiline-busy', (result) => {
    expect(result.classification).toMatchObject({ code: 451, enhancedCode: '4.3.0' });
    expect(result.reply).toContain('Please try again later');
  });
});

test.each<[Rudeness, { category: string; reason: string }, boolean]>([
  // A refusal after the final dot is the server's verdict, never a failure of ours retried forever.
  ['reject-after-data', { category: 'blocked', reason: 'spam_content' }, false],
  // A 5xx nothing explains, after the address was taken at RCPT: about the message, never the address.
  ['unexplained-after-data', { category: 'blocked', reason: 'server_rejected' }, false],
  ['greylist-after-data', { category: 'soft_bounce', reason: 'greylisted' }, false],
  // Taken, with a reply whose code is not three digits and a space: taken all the same.
  ['odd-accept', { category: 'delivered', reason: 'accepted' }, true],
  // STARTTLS offered, then refused: the message goes in plain text, as to a server without it.
  ['starttls-refused', { category: 'delivered', reason: 'accepted' }, true],
  // Text without a code is not one of our error names (ENOTFOUND would be a hard bounce).
  ['codeless-greeting', { category: 'soft_bounce', reason: 'unreadable_reply' }, false],
])('a server that answers %s → %o, accepted %s', async (rudeness, verdict, accepted) => {
  await sendThrough(rudeness, (result) => {
    expect(result.classification).toMatchObject(verdict);
    expect(result.accepted).toBe(accepted);
    reportDrill('misbehaving SMTP server', {
      server: rudeness,
      outcome: `${verdict.category} ${verdict.reason}`,
    });
  });
});

test('a server that never answers QUIT gets the message counted and its connection closed a few seconds later', async () => {
  await sendThrough('deaf-to-quit', async (result, server) => {
    expect(result.accepted).toBe(true);
    await until(() => Promise.resolve(server.open() === 0), 'the connection closed by the sender', {
      timeoutMs: 15_000,
      everyMs: 100,
    });
  });
});
