/**
 * Late bounces end to end over SMTP: a mailing in relay mode (the bounce lab as the relay) whose
 * receiving server accepts first and sends a DSN later to the signed return path, through the
 * late-bounce listener and Temporal, into the statistics and the contact.
 */
import nodemailer from 'nodemailer';
import { countersOfMailing } from '../db/counters';
import { lateReportMail, sendLateReport } from '../dev/lab-reports';
import { until } from '../dev/until';
import { returnPathFor } from '../inbound/return-path';
import { tokenFor } from '../inbound/unsubscribe-token';
import {
  createHarness,
  type Harness,
  TEST_FEEDBACK_ADDRESS,
  TEST_RETURN_PATH,
} from './support/delivery-harness';

let h: Harness;
beforeAll(async () => {
  h = await createHarness({ lateReports: true });
});
afterAll(async () => {
  await h?.teardown();
});

/** One delivery to a new contact at `domain`, run to its end by a worker that stays up for `more`. */
async function deliverThen(
  domain: string,
  more: (d: { deliveryId: string; mailingId: string; contactId: string; email: string }) => Promise<void>,
) {
  const mailingId = await h.newMailing();
  const contact = await h.newContact(domain);
  const worker = await h.newWorker();
  await worker.runUntil(async () => {
    const state = await (await h.start(mailingId, contact)).result();
    expect(state.outcome?.status).toBe('delivered');
    await more({ deliveryId: state.deliveryId!, mailingId, contactId: contact.id, email: contact.email });
  });
  return { mailingId, contact };
}

const contact = (id: string) =>
  h.t.db.selectFrom('contacts').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
const memberships = async (id: string) =>
  (await h.t.db.selectFrom('group_members').select('group_id').where('contact_id', '=', id).execute()).length;

test('when a hard bounce arrives after the relay accepted, then the address is incorrect and out of its groups; the same DSN again counts once', async () => {
  const { mailingId, contact: c } = await deliverThen('latehard.test', async ({ mailingId }) => {
    await until(
      async () => (await countersOfMailing(h.t.db, mailingId)).incorrectAddresses === 1,
      'the late bounce applied',
    );
  });
  expect(await countersOfMailing(h.t.db, mailingId)).toMatchObject({ delivered: 0, incorrectAddresses: 1 });
  expect(await contact(c.id)).toMatchObject({ status: 'incorrect', incorrect_reason: 'user_unknown' });
  expect(await memberships(c.id)).toBe(0);

  // The receiving server sends the same DSN again.
  const row = await h.t.db
    .selectFrom('deliveries')
    .select('id')
    .where('mailing_id', '=', mailingId)
    .executeTakeFirstOrThrow();
  const worker = await h.newWorker();
  await worker.runUntil(async () => {
    await sendLateReport(
      'hard',
      { returnPath: returnPathFor(row.id, TEST_RETURN_PATH), recipient: c.email, headers: 'Subject: Hello' },
      { url: h.listener!.url, feedbackAddress: TEST_FEEDBACK_ADDRESS },
    );
    await new Promise((r) => setTimeout(r, 1_500));
  });
  expect(await countersOfMailing(h.t.db, mailingId)).toMatchObject({
    delivered: 0,
    incorrectAddresses: 1,
    total: 1,
  });
});

test('when a late mailbox-full report arrives, then it is a technical problem and the contact stays', async () => {
  const { contact: c } = await deliverThen('latefull.test', async ({ mailingId }) => {
    await until(
      async () => (await countersOfMailing(h.t.db, mailingId)).technicalProblems === 1,
      'the late report applied',
    );
  });
  expect(await contact(c.id)).toMatchObject({ status: 'active' });
  expect(await memberships(c.id)).toBe(2);
});

test('when a complaint comes through the feedback loop, then the contact is unsubscribed', async () => {
  const { mailingId, contact: c } = await deliverThen('complain.test', async ({ mailingId }) => {
    await until(
      async () => (await countersOfMailing(h.t.db, mailingId)).complaints === 1,
      'the complaint applied',
    );
  });
  expect(await contact(c.id)).toMatchObject({ status: 'unsubscribed', unsubscribed_reason: 'complaint' });
  expect(await countersOfMailing(h.t.db, mailingId)).toMatchObject({ unsubscribed: 1, delivered: 1 });
});

test('when the address was corrected before the late bounce, then the correction survives it', async () => {
  await deliverThen('ok.test', async ({ deliveryId, mailingId, contactId, email }) => {
    await h.t.db
      .updateTable('contacts')
      .set({ email: `new-${email}`, email_key: `new-${email}` })
      .where('id', '=', contactId)
      .execute();
    await sendLateReport(
      'hard',
      {
        returnPath: returnPathFor(deliveryId, TEST_RETURN_PATH),
        recipient: email,
        headers: 'Subject: Hello',
      },
      { url: h.listener!.url, feedbackAddress: TEST_FEEDBACK_ADDRESS },
    );
    await until(
      async () => (await countersOfMailing(h.t.db, mailingId)).incorrectAddresses === 1,
      'the late bounce applied',
    );
    expect(await contact(contactId)).toMatchObject({ status: 'active' });
    expect(await memberships(contactId)).toBe(2);
  });
});

test('when a bounce is sent to a forged or unsigned return path, then the listener refuses it at RCPT and nothing changes', async () => {
  const { mailingId } = await deliverThen('ok.test', async ({ deliveryId }) => {
    const transport = nodemailer.createTransport({ url: h.listener!.url } as never);
    for (const rcpt of [
      `bounces+${deliveryId}-aaaaaaaaaaaaaaaa@test.localhost`,
      `bounces+${deliveryId}@test.localhost`,
      'postmaster@test.localhost',
    ])
      await expect(
        transport.sendMail({ envelope: { from: '', to: [rcpt] }, raw: 'Subject: x\r\n\r\nx' }),
      ).rejects.toMatchObject({ responseCode: 550 });
    transport.close();
  });
  expect(await countersOfMailing(h.t.db, mailingId)).toMatchObject({ delivered: 1, incorrectAddresses: 0 });
});

test('when a mail comes to the List-Unsubscribe mailto, then its contact is unsubscribed, once; a forged token is refused at RCPT', async () => {
  const { mailingId, contact: c } = await deliverThen('ok.test', async ({ deliveryId, contactId }) => {
    const token = tokenFor(deliveryId, TEST_RETURN_PATH.secret);
    const transport = nodemailer.createTransport({ url: h.listener!.url } as never);
    for (const rcpt of [
      `unsubscribe+${deliveryId}.${'a'.repeat(26)}@test.localhost`,
      `unsubscribe+${token}@other.localhost`,
      `unsubscribe+${token.slice(0, -1)}@test.localhost`,
    ])
      await expect(
        transport.sendMail({ envelope: { from: 'ann@ok.test', to: [rcpt] }, raw: 'Subject: x\r\n\r\nx' }),
      ).rejects.toMatchObject({ responseCode: 550 });
    // Mail systems may change the case of a local part; the mail says anything (here: nothing).
    for (const rcpt of [
      `unsubscribe+${token}@test.localhost`,
      `UNSUBSCRIBE+${token.toUpperCase()}@test.localhost`,
    ])
      await transport.sendMail({
        envelope: { from: 'ann@ok.test', to: [rcpt] },
        raw: 'Subject: unsubscribe\r\n\r\n',
      });
    transport.close();
    await until(async () => (await contact(contactId)).status === 'unsubscribed', 'the unsubscribe applied');
    await new Promise((r) => setTimeout(r, 1_000));
  });
  expect(await contact(c.id)).toMatchObject({ status: 'unsubscribed', unsubscribed_reason: 'one_click' });
  expect(await countersOfMailing(h.t.db, mailingId)).toMatchObject({
    unsubscribed: 1,
    delivered: 1,
    complaints: 0,
  });
});

test('when two reports come over one SMTP connection, then each is applied to its own delivery only', async () => {
  // A relay's MTA keeps its connections (Postfix's connection cache): a mailbox-full report for the
  // first delivery, then a hard bounce for the second, one after the other on one session.
  const first = await deliverThen('ok.test', () => Promise.resolve());
  const second = await deliverThen('ok.test', () => Promise.resolve());
  const deliveryOf = async (mailingId: string) =>
    (
      await h.t.db
        .selectFrom('deliveries')
        .select('id')
        .where('mailing_id', '=', mailingId)
        .executeTakeFirstOrThrow()
    ).id;
  const [a, b] = [await deliveryOf(first.mailingId), await deliveryOf(second.mailingId)];
  const transport = nodemailer.createTransport({
    url: h.listener!.url,
    pool: true,
    maxConnections: 1,
  } as never);
  const worker = await h.newWorker();
  try {
    await worker.runUntil(async () => {
      for (const [kind, deliveryId, email] of [
        ['full', a, first.contact.email],
        ['hard', b, second.contact.email],
      ] as const)
        await transport.sendMail(
          lateReportMail(
            kind,
            {
              returnPath: returnPathFor(deliveryId, TEST_RETURN_PATH),
              recipient: email,
              headers: 'Subject: Hello',
            },
            TEST_FEEDBACK_ADDRESS,
          ),
        );
      await until(
        async () => (await countersOfMailing(h.t.db, second.mailingId)).incorrectAddresses === 1,
        'the hard bounce applied',
      );
      await until(
        async () => (await countersOfMailing(h.t.db, first.mailingId)).technicalProblems === 1,
        'the mailbox-full report applied',
      );
    });
  } finally {
    transport.close();
  }
  // The second message's hard bounce never reached the first delivery.
  expect(await countersOfMailing(h.t.db, first.mailingId)).toMatchObject({ incorrectAddresses: 0 });
  expect(await contact(first.contact.id)).toMatchObject({ status: 'active' });
  expect(await contact(second.contact.id)).toMatchObject({ status: 'incorrect' });
});

test('when a bounce comes to the feedback address, naming a delivery by its headers, then nothing changes', async () => {
  // Anyone can write those headers, and a contact's address is often known: only complaints are
  // taken there. Then a complaint by the same way, to show the worker was there to apply one.
  const { mailingId, contact: c } = await deliverThen('ok.test', async ({ deliveryId, email, mailingId }) => {
    const returned = {
      returnPath: returnPathFor(deliveryId, TEST_RETURN_PATH),
      recipient: email,
      headers: `Message-ID: <delivery-${deliveryId}@test.localhost>\r\nX-Delivery-Id: ${deliveryId}\r\nSubject: Hello`,
    };
    const transport = nodemailer.createTransport({ url: h.listener!.url } as never);
    try {
      await transport.sendMail(
        lateReportMail('hard', returned, TEST_FEEDBACK_ADDRESS, TEST_FEEDBACK_ADDRESS),
      );
      await transport.sendMail(lateReportMail('complaint', returned, TEST_FEEDBACK_ADDRESS));
    } finally {
      transport.close();
    }
    await until(
      async () => (await countersOfMailing(h.t.db, mailingId)).complaints === 1,
      'the complaint applied',
    );
  });
  expect(await countersOfMailing(h.t.db, mailingId)).toMatchObject({ incorrectAddresses: 0, complaints: 1 });
  expect(await contact(c.id)).toMatchObject({ status: 'unsubscribed' });
});

test('when a complaint blots out its recipient, then what we signed in the returned headers names the delivery; a Message-ID alone does not', async () => {
  const { mailingId, contact: c } = await deliverThen('ok.test', async ({ deliveryId, mailingId }) => {
    const blotted = { returnPath: '', recipient: 'redacted@example.invalid' };
    const transport = nodemailer.createTransport({ url: h.listener!.url } as never);
    try {
      // Headers anyone can write, and an address that is not the delivery's: nothing.
      await transport.sendMail(
        lateReportMail(
          'complaint',
          { ...blotted, headers: `Message-ID: <delivery-${deliveryId}@test.localhost>\r\nSubject: Hello` },
          TEST_FEEDBACK_ADDRESS,
        ),
      );
      // The message as sent, with its List-Unsubscribe: the token is ours, the complaint counts.
      const token = tokenFor(deliveryId, TEST_RETURN_PATH.secret);
      const headers = `List-Unsubscribe: <https://app.example/u/${token}>, <mailto:unsubscribe+${token}@test.localhost>\r\nSubject: Hello`;
      await transport.sendMail(lateReportMail('complaint', { ...blotted, headers }, TEST_FEEDBACK_ADDRESS));
    } finally {
      transport.close();
    }
    await until(
      async () => (await countersOfMailing(h.t.db, mailingId)).complaints === 1,
      'the complaint applied',
    );
    await new Promise((r) => setTimeout(r, 1_000));
  });
  expect(await countersOfMailing(h.t.db, mailingId)).toMatchObject({ complaints: 1, unsubscribed: 1 });
  expect(await contact(c.id)).toMatchObject({ status: 'unsubscribed', unsubscribed_reason: 'complaint' });
});
