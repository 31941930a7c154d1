/**
 * The send activity against the bounce lab and PostgreSQL: an acceptance is committed before the
 * activity returns, so a retry of the activity (its worker died after the 250) reports it instead of
 * sending again; a cancelled activity cuts its SMTP session.
 */
import { ensureSendingDomain, FIXTURE_DKIM_KEY_SECRET } from '../dev/fixture-domain';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createMessageBuilder } from '../activities/message';
import { createSendAttempt, type SendInput } from '../activities/send';
import type { AttemptResult } from '../contract/delivery';
import * as counters from '../db/counters';
import { createSmtpSender } from '../activities/smtp';
import { emailKey } from '../domain/address';
import { type BounceLab, startBounceLab } from '../dev/bounce-lab';
import { until } from '../dev/until';
import { createTestDatabase, type TestDatabase } from './support/database';
import { TEST_PUBLIC_URL, TEST_RETURN_PATH } from './support/delivery-harness';

let t: TestDatabase;
let lab: BounceLab;
let sendAttempt: ReturnType<typeof createSendAttempt>;
let smtp: ReturnType<typeof createSmtpSender>;

beforeAll(async () => {
  [t, lab] = await Promise.all([createTestDatabase(), startBounceLab()]);
  smtp = createSmtpSender({ relayUrl: lab.url, ehloHostname: 'test.localhost', timeoutMs: 20_000 });
  const messageFor = createMessageBuilder({
    db: t.db,
    dkimKeySecret: FIXTURE_DKIM_KEY_SECRET,
    returnPath: TEST_RETURN_PATH,
    publicUrl: TEST_PUBLIC_URL,
  });
  sendAttempt = createSendAttempt({ db: t.db, smtp, messageFor });
});
afterAll(async () => {
  await Promise.allSettled([lab?.stop(), t?.drop()]);
});

/** A mailing with one delivery to `email`, as the fan-out would have created it. */
async function deliveryTo(email: string): Promise<SendInput> {
  const { id: accountId } = await t.db
    .insertInto('accounts')
    .values({ name: `a-${email}` })
    .returning('id')
    .executeTakeFirstOrThrow();
  await ensureSendingDomain(t.db, accountId, 'sender.example');
  const { id: mailingId } = await t.db
    .insertInto('mailings')
    .values({
      account_id: accountId,
      name: 'm',
      from_email: 'news@sender.example',
      subject: 'Hi',
      text_body: 'x',
      status: 'sending',
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const { id: contactId } = await t.db
    .insertInto('contacts')
    .values({ account_id: accountId, email, email_key: emailKey(email) })
    .returning('id')
    .executeTakeFirstOrThrow();
  const { id: deliveryId } = await t.db
    .insertInto('deliveries')
    .values({
      account_id: accountId,
      mailing_id: mailingId,
      contact_id: contactId,
      email,
      email_key: emailKey(email),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { deliveryId, mailingId, email };
}

test('when a retry of the send activity follows an accepted send, then it reports that acceptance and sends nothing', async () => {
  const input = await deliveryTo('once@ok.test');
  const first: AttemptResult = await new MockActivityEnvironment({ attempt: 1 }).run(sendAttempt, input);
  expect(first).toMatchObject({ accepted: true, phase: 'DONE' });
  expect(lab.received('once@ok.test')).toBe(1);

  // The worker died after the 250 and before Temporal heard of it: Temporal retries the activity.
  const retried = await new MockActivityEnvironment({ attempt: 2 }).run(sendAttempt, input);
  expect(retried).toEqual(first);
  expect(lab.received('once@ok.test')).toBe(1);
  expect(lab.attempts('once@ok.test')).toBe(1);
});

test('when a send is refused, then nothing is recorded as accepted and a retry sends again', async () => {
  const input = await deliveryTo('again@busy.test');
  const first: AttemptResult = await new MockActivityEnvironment({ attempt: 1 }).run(sendAttempt, input);
  expect(first.accepted).toBe(false);
  await new MockActivityEnvironment({ attempt: 2 }).run(sendAttempt, input);
  expect(lab.attempts('again@busy.test')).toBe(2);
});

test('when the activity is cancelled mid-session, then the SMTP session is cut and the send says so', async () => {
  const input = await deliveryTo('hang@slow.test');
  const env = new MockActivityEnvironment({ attempt: 1 });
  const sending = env.run(sendAttempt, input);
  await until(() => Promise.resolve(lab.attempts('hang@slow.test') === 1), 'the lab hangs at RCPT');
  expect(lab.openSessions()).toBe(1);
  const started = Date.now();
  env.cancel();
  await expect(sending).rejects.toMatchObject({ name: 'SendCancelled' });
  expect(Date.now() - started).toBeLessThan(5_000); // not the 20 s phase timeout
  await until(() => Promise.resolve(lab.openSessions() === 0), 'the session closed');
});

test('when a server refuses the recipient, then the session is closed at once, not left to the server to time out', async () => {
  const input = await deliveryTo('gone@unknown.test');
  const result: AttemptResult = await new MockActivityEnvironment({ attempt: 1 }).run(sendAttempt, input);
  expect(result.classification.category).toBe('hard_bounce');
  await until(() => Promise.resolve(lab.openSessions() === 0), 'the refused session closed', {
    timeoutMs: 2_000,
  });
});

describe('a send given its attempt records a final reply as the end of the delivery', () => {
  const attempt = { n: 1, at: '2026-11-30T04:00:00.000Z' };
  const rowOf = (deliveryId: string) =>
    t.db
      .selectFrom('deliveries')
      .innerJoin('contacts', 'contacts.id', 'deliveries.contact_id')
      .select(['deliveries.status', 'deliveries.attempts', 'deliveries.reason', 'contacts.status as contact'])
      .where('deliveries.id', '=', deliveryId)
      .executeTakeFirstOrThrow();

  test('when it is accepted, then the delivery is delivered and counted before the activity returns, and a retry reports the same without sending', async () => {
    const input = { ...(await deliveryTo('ends@ok.test')), attempt };
    const first: AttemptResult = await new MockActivityEnvironment({ attempt: 1 }).run(sendAttempt, input);
    expect(first).toMatchObject({ accepted: true, ended: true });
    expect(await rowOf(input.deliveryId)).toEqual({
      status: 'delivered',
      attempts: 1,
      reason: 'accepted',
      contact: 'active',
    });
    const stats = await counters.countersOfMailing(t.db, input.mailingId);
    expect(stats).toMatchObject({ delivered: 1, retrying: 0 });

    const retried = await new MockActivityEnvironment({ attempt: 2 }).run(sendAttempt, input);
    expect(retried).toEqual(first);
    expect(lab.attempts('ends@ok.test')).toBe(1);
    expect(await counters.countersOfMailing(t.db, input.mailingId)).toEqual(stats);
  });

  test('when it bounces hard, then the address is incorrect at once, and a retry reports the bounce without sending again', async () => {
    const input = { ...(await deliveryTo('ends@unknown.test')), attempt };
    const first: AttemptResult = await new MockActivityEnvironment({ attempt: 1 }).run(sendAttempt, input);
    expect(first).toMatchObject({
      accepted: false,
      ended: true,
      classification: { category: 'hard_bounce' },
    });
    expect(await rowOf(input.deliveryId)).toMatchObject({
      status: 'incorrect_address',
      contact: 'incorrect',
    });
    expect(await counters.countersOfMailing(t.db, input.mailingId)).toMatchObject({ incorrectAddresses: 1 });

    expect(await new MockActivityEnvironment({ attempt: 2 }).run(sendAttempt, input)).toEqual(first);
    expect(lab.attempts('ends@unknown.test')).toBe(1);
  });

  test('when it is a soft bounce, then nothing is recorded: the workflow decides whether to retry', async () => {
    const input = { ...(await deliveryTo('ends@busy.test')), attempt };
    const first: AttemptResult = await new MockActivityEnvironment({ attempt: 1 }).run(sendAttempt, input);
    expect(first.ended).toBeUndefined();
    expect(await rowOf(input.deliveryId)).toMatchObject({ status: 'in_progress', attempts: 0 });
  });
});
