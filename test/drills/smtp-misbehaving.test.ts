/**
 * Drill: receiving servers that misbehave. Each case ends as a soft bounce (retried later) within the
 * configured timeout, the send never throws, and no connection is left holding a worker slot.
 */
import { createSmtpSender, type OutgoingMessage } from '../../activities/smtp';
import { reportDrill } from '../support/drill';
import { type Rudeness, startRudeSmtp } from '../support/rude-smtp';

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

test.each<[Rudeness, string]>([
  ['silent', 'timeout'],
  ['reset-on-rcpt', 'network_error'],
  ['close-after-rcpt', 'network_error'],
  ['multiline-busy', 'server_busy'],
  // The message was sent: no answer may still mean it arrived, a reason of its own.
  ['stall-after-data', 'no_answer_after_data'],
])('a server that is %s → soft bounce %s within the timeout', async (rudeness, reason) => {
  const server = await startRudeSmtp(rudeness);
  const sender = createSmtpSender({
    relayUrl: `smtp://127.0.0.1:${server.port}`,
    ehloHostname: 'test.localhost',
    timeoutMs: TIMEOUT_MS,
  });
  try {
    const started = Date.now();
    const result = await sender.send(message);
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
  } finally {
    sender.close();
    await server.stop();
  }
});

test('the multi-line reply is kept whole for the record, with its code', async () => {
  const server = await startRudeSmtp('multiline-busy');
  const sender = createSmtpSender({
    relayUrl: `smtp://127.0.0.1:${server.port}`,
    ehloHostname: 'test.localhost',
    timeoutMs: TIMEOUT_MS,
  });
  try {
    const result = await sender.send(message);
    expect(result.classification).toMatchObject({ code: 451, enhancedCode: '4.3.0' });
    expect(result.reply).toContain('Please try again later');
  } finally {
    sender.close();
    await server.stop();
  }
});
