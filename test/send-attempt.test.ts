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
import { FINAL_CATEGORIES } from '../domain/outcomes';
import { recordRetry } from '../activities/recording';
import { sql } from 'kysely';
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
  // The lab's 421 closes the session: said on a kept one, it is asked again on a new session
  // (relay-sessions.test.ts), so the first send may name the recipient twice.
  const named = lab.attempts('again@busy.test');
  expect(named).toBeGreaterThanOrEqual(1);
  await new MockActivityEnvironment({ attempt: 2 }).run(sendAttempt, input);
  expect(lab.attempts('again@busy.test')).toBeGreaterThan(named);
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

describe('a send given its attempt (revision 3) records a final reply as the end of the delivery', () => {
  const first = { n: 1, at: '2026-11-30T04:00:00.000Z', final: FINAL_CATEGORIES };
  const rowOf = (deliveryId: string) =>
    t.db
      .selectFrom('deliveries')
      .innerJoin('contacts', 'contacts.id', 'deliveries.contact_id')
      .select(['deliveries.status', 'deliveries.attempts', 'deliveries.reason', 'contacts.status as contact'])
      .where('deliveries.id', '=', deliveryId)
      .executeTakeFirstOrThrow();
  const attemptRows = (deliveryId: string) =>
    t.db
      .selectFrom('delivery_attempts')
      .select(['n', 'at', 'category', 'reason'])
      .where('delivery_id', '=', deliveryId)
      .orderBy('n')
      .execute();
  const reasonCount = async (mailingId: string, reason: string) =>
    Number(
      (
        await t.db
          .selectFrom('mailing_reason_counters')
          .select((eb) => eb.fn.coalesce(eb.fn.sum<string>('n'), eb.lit(0)).as('n'))
          .where('mailing_id', '=', mailingId)
          .where('reason', '=', reason)
          .executeTakeFirstOrThrow()
      ).n,
    );
  const send = (input: SendInput, attempt = 1): Promise<AttemptResult> =>
    new MockActivityEnvironment({ attempt }).run(sendAttempt, input);

  test('when it is accepted, then the delivery is delivered, its attempt and counters written before the activity returns, and a retry reports the same without sending', async () => {
    const input = { ...(await deliveryTo('ends@ok.test')), attempt: first };
    const result = await send(input);
    expect(result).toMatchObject({ accepted: true, ended: true });
    expect(await rowOf(input.deliveryId)).toEqual({
      status: 'delivered',
      attempts: 1,
      reason: 'accepted',
      contact: 'active',
    });
    expect(await attemptRows(input.deliveryId)).toEqual([
      { n: 1, at: new Date(first.at), category: 'delivered', reason: 'accepted' },
    ]);
    const stats = await counters.countersOfMailing(t.db, input.mailingId);
    expect(stats).toMatchObject({ delivered: 1, retrying: 0, ended: 1 });
    expect(await reasonCount(input.mailingId, 'accepted')).toBe(1);

    expect(await send(input, 2)).toEqual(result);
    expect(lab.attempts('ends@ok.test')).toBe(1);
    expect(await counters.countersOfMailing(t.db, input.mailingId)).toEqual(stats);
  });

  test('when a delivery that was waiting to retry is accepted, then it stops counting as retrying', async () => {
    const input = await deliveryTo('waited@ok.test');
    // Its first attempt was a soft bounce, recorded as a retry by the workflow.
    await recordRetry(t.db, {
      deliveryId: input.deliveryId,
      attempt: {
        accepted: false,
        reply: '451 4.3.2 try again later',
        classification: {
          category: 'soft_bounce',
          reason: 'server_busy',
          code: 451,
          enhancedCode: '4.3.2',
          rule: 't',
        },
        mxHost: null,
        phase: 'RCPT TO',
        messageId: '<x@sender.example>',
        durationMs: 1,
        n: first.n,
        at: first.at,
      },
      nextAttemptAt: '2026-11-30T07:00:00.000Z',
    });
    expect(await counters.countersOfMailing(t.db, input.mailingId)).toMatchObject({ retrying: 1 });

    const second = { n: 2, at: '2026-11-30T07:00:00.000Z', final: FINAL_CATEGORIES };
    expect(await send({ ...input, attempt: second }, 1)).toMatchObject({ ended: true });
    expect(await counters.countersOfMailing(t.db, input.mailingId)).toMatchObject({
      delivered: 1,
      retrying: 0,
    });
    expect((await attemptRows(input.deliveryId)).map((a) => a.n)).toEqual([1, 2]);
  });

  test('when it bounces hard, then the address is incorrect at once and leaves its groups, and a retry reports the bounce without sending again', async () => {
    const input = { ...(await deliveryTo('ends@unknown.test')), attempt: first };
    const result = await send(input);
    expect(result).toMatchObject({
      accepted: false,
      ended: true,
      classification: { category: 'hard_bounce' },
    });
    expect(await rowOf(input.deliveryId)).toMatchObject({
      status: 'incorrect_address',
      contact: 'incorrect',
    });
    const stats = await counters.countersOfMailing(t.db, input.mailingId);
    expect(stats).toMatchObject({ incorrectAddresses: 1, ended: 1 });
    expect(await reasonCount(input.mailingId, result.classification.reason)).toBe(1);

    expect(await send(input, 2)).toEqual(result);
    expect(lab.attempts('ends@unknown.test')).toBe(1);
    expect(await counters.countersOfMailing(t.db, input.mailingId)).toEqual(stats);
  });

  test('when the contact was corrected after the send began, then a hard bounce ends the delivery but leaves the contact as it is', async () => {
    const input = { ...(await deliveryTo('moved@unknown.test')), attempt: first };
    const { contact_id } = await t.db
      .selectFrom('deliveries')
      .select('contact_id')
      .where('id', '=', input.deliveryId)
      .executeTakeFirstOrThrow();
    await t.db
      .updateTable('contacts')
      .set({ email: 'moved@ok.test', email_key: emailKey('moved@ok.test') })
      .where('id', '=', contact_id)
      .execute();
    expect(await send(input)).toMatchObject({ ended: true });
    expect(await rowOf(input.deliveryId)).toMatchObject({ status: 'incorrect_address', contact: 'active' });
  });

  test('when the mailbox is full, then a technical problem at once, and the contact stays', async () => {
    const input = { ...(await deliveryTo('ends@full.test')), attempt: first };
    expect(await send(input)).toMatchObject({ ended: true, classification: { category: 'mailbox_full' } });
    expect(await rowOf(input.deliveryId)).toMatchObject({ status: 'technical_problem', contact: 'active' });
    expect(await counters.countersOfMailing(t.db, input.mailingId)).toMatchObject({ technicalProblems: 1 });
  });

  test('when the delivery has already ended (an earlier try of the same send, past its timeout, got there first), then nothing is counted again', async () => {
    const input = { ...(await deliveryTo('over@ok.test')), attempt: first };
    await t.db
      .updateTable('deliveries')
      .set({ status: 'technical_problem' })
      .where('id', '=', input.deliveryId)
      .execute();
    const before = await counters.countersOfMailing(t.db, input.mailingId);
    expect(await send(input)).toMatchObject({ ended: true });
    expect(await counters.countersOfMailing(t.db, input.mailingId)).toEqual(before);
    expect(await rowOf(input.deliveryId)).toMatchObject({ status: 'technical_problem' });
  });

  test("when the workflow does not name the reply's category final (another build's policy), then the send records no end", async () => {
    const input = {
      ...(await deliveryTo('notfinal@ok.test')),
      attempt: { ...first, final: ['hard_bounce' as const] },
    };
    const result = await send(input);
    expect(result).toMatchObject({ accepted: true });
    expect(result.ended).toBeUndefined();
    expect(await rowOf(input.deliveryId)).toMatchObject({ status: 'in_progress' });
  });

  test('when it is a soft bounce, then nothing is recorded: the workflow decides whether to retry', async () => {
    const input = { ...(await deliveryTo('ends@busy.test')), attempt: first };
    const result = await send(input);
    expect(result.ended).toBeUndefined();
    expect(await rowOf(input.deliveryId)).toMatchObject({ status: 'in_progress', attempts: 0 });
  });

  test('when the end cannot be written, then the acceptance is kept and the send answers without `ended` (the workflow records the end), and a retry sends nothing', async () => {
    const input = { ...(await deliveryTo('stuck@ok.test')), attempt: first };
    // The delivery's row refuses every change, as a database in trouble would.
    await sql`create or replace function refuse_change() returns trigger language plpgsql as
      $$ begin raise exception 'refused for the test'; end $$`.execute(t.db);
    await sql`create trigger refuse_end before update on deliveries for each row
      when (old.id = ${sql.lit(Number(input.deliveryId))}) execute function refuse_change()`.execute(t.db);
    try {
      const quiet = jest.spyOn(console, 'warn').mockImplementation(() => {});
      const result = await send(input);
      quiet.mockRestore();
      expect(result).toMatchObject({ accepted: true });
      expect(result.ended).toBeUndefined();
      expect(await rowOf(input.deliveryId)).toMatchObject({ status: 'in_progress' });
      expect(await counters.countersOfMailing(t.db, input.mailingId)).toMatchObject({ delivered: 0 });

      expect(await send(input, 2)).toEqual(result);
      expect(lab.attempts('stuck@ok.test')).toBe(1);
    } finally {
      await sql`drop trigger refuse_end on deliveries`.execute(t.db);
    }
  });
});
