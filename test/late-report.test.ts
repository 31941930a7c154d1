/**
 * Reports that come back after a 250, applied through Temporal (the lateReport workflow) against
 * PostgreSQL: a late hard bounce turns a delivered message into an incorrect address, once; a
 * complaint unsubscribes; a correction made before the bounce survives it; a delivery still
 * retrying is told and ends by itself.
 */
import { searchAttributes as sa } from '../contract/names';
import type { LateReport } from '../contract/late-report';
import { startLateReport } from '../contract/starters';
import { countersOfMailing } from '../db/counters';
import { classify } from '../domain/classification';
import { statusQuery } from '../workflows/delivery';
import { createHarness, type Harness, maybeRecordHistory } from './support/delivery-harness';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h?.teardown();
});

/** A delivery to a new contact at `domain`, run until it ended. */
async function deliveredTo(domain: string) {
  const mailingId = await h.newMailing();
  const contact = await h.newContact(domain);
  const handle = await h.start(mailingId, contact, { minDelayMs: 3_600_000, maxDelayMs: 3_600_000 });
  const worker = await h.newWorker();
  await worker.runUntil(handle.result());
  const row = await h.t.db
    .selectFrom('deliveries')
    .select(['id', 'status'])
    .where('mailing_id', '=', mailingId)
    .executeTakeFirstOrThrow();
  return { mailingId, contact, deliveryId: row.id };
}

type BounceReport = Extract<LateReport, { kind: 'bounce' }>;

/** A DSN's report of one recipient: a hard bounce unless `diagnosticCode` says otherwise. */
function bounce(deliveryId: string, recipient: string, more: Partial<BounceReport> = {}): BounceReport {
  const diagnosticCode =
    more.diagnosticCode ?? `550 5.1.1 <${recipient}>: Recipient address rejected: User unknown`;
  const { category, reason } = classify(diagnosticCode);
  return {
    deliveryId,
    key: 'k1',
    receivedAt: new Date().toISOString(),
    recipient,
    kind: 'bounce',
    action: 'failed',
    status: '5.1.1',
    diagnosticCode,
    remoteMta: 'mx.example',
    category,
    reason,
    ...more,
  };
}

function hardBounce(deliveryId: string, recipient: string, key = 'k1'): LateReport {
  return bounce(deliveryId, recipient, { key });
}

/** Applies a report through its workflow; `recordAs` names its history for the replay test. */
async function apply(report: LateReport, recordAs?: string) {
  const worker = await h.newWorker();
  await worker.runUntil(async () => {
    await startLateReport(h.env.client, report, { taskQueue: h.taskQueue });
    const handle = h.env.client.workflow.getHandle(`late-report-${report.deliveryId}-${report.key}`);
    await handle.result();
    if (recordAs) await maybeRecordHistory(recordAs, handle);
  });
}

const contactOf = (id: string) =>
  h.t.db.selectFrom('contacts').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
const groupsOf = async (id: string) =>
  (await h.t.db.selectFrom('group_members').select('group_id').where('contact_id', '=', id).execute()).length;

test('when a hard bounce arrives after a 250, then the delivery becomes an incorrect address, once', async () => {
  const d = await deliveredTo('ok.test');
  expect(await countersOfMailing(h.t.db, d.mailingId)).toMatchObject({ delivered: 1, incorrectAddresses: 0 });

  const report = hardBounce(d.deliveryId, d.contact.email);
  await apply(report, 'late-report-applied');
  await apply(report); // the same DSN received twice
  await apply({ ...report, key: 'k1' });

  expect(await countersOfMailing(h.t.db, d.mailingId)).toMatchObject({ delivered: 0, incorrectAddresses: 1 });
  const row = await h.t.db
    .selectFrom('deliveries')
    .selectAll()
    .where('id', '=', d.deliveryId)
    .executeTakeFirstOrThrow();
  expect(row).toMatchObject({ status: 'incorrect_address', category: 'hard_bounce', reason: 'user_unknown' });
  // The last reply shown beside the status is the report that changed it, not the 250 before it.
  expect(row.last_reply).toMatch(/^failed: 550 5\.1\.1/);
  const contact = await contactOf(d.contact.id);
  expect(contact).toMatchObject({ status: 'incorrect', incorrect_reason: 'user_unknown' });
  expect(await groupsOf(d.contact.id)).toBe(0);
  const attempts = await h.t.db
    .selectFrom('delivery_attempts')
    .select(['n', 'late', 'reply'])
    .where('delivery_id', '=', d.deliveryId)
    .orderBy('n')
    .execute();
  expect(attempts.map((a) => a.late)).toEqual([false, true]);
  expect(attempts[1]!.reply).toContain('550 5.1.1');
});

test('when the address was corrected before the late bounce, then the correction survives it', async () => {
  const d = await deliveredTo('ok.test');
  await h.t.db
    .updateTable('contacts')
    .set({ email: 'fixed@ok.test', email_key: 'fixed@ok.test' })
    .where('id', '=', d.contact.id)
    .execute();
  await apply(hardBounce(d.deliveryId, d.contact.email));
  expect(await contactOf(d.contact.id)).toMatchObject({ status: 'active', email: 'fixed@ok.test' });
  expect(await groupsOf(d.contact.id)).toBe(2);
  // The delivery itself did bounce: it counts as an incorrect address of that mailing.
  expect(await countersOfMailing(h.t.db, d.mailingId)).toMatchObject({ incorrectAddresses: 1 });
});

test('when a mailbox-full report arrives late, then it is a technical problem and the contact stays', async () => {
  const d = await deliveredTo('ok.test');
  const diagnosticCode = '452 4.2.2 Mailbox full';
  await apply(bounce(d.deliveryId, d.contact.email, { diagnosticCode, status: '4.2.2' }));
  expect(await countersOfMailing(h.t.db, d.mailingId)).toMatchObject({ delivered: 0, technicalProblems: 1 });
  expect(await contactOf(d.contact.id)).toMatchObject({ status: 'active' });
  expect(await groupsOf(d.contact.id)).toBe(2);
});

test('when a complaint arrives, then the contact is unsubscribed and the mailing counts it', async () => {
  const d = await deliveredTo('ok.test');
  const complaint: LateReport = {
    deliveryId: d.deliveryId,
    key: 'c1',
    receivedAt: new Date().toISOString(),
    recipient: d.contact.email,
    kind: 'complaint',
    feedbackType: 'abuse',
  };
  await apply(complaint);
  await apply(complaint);
  expect(await contactOf(d.contact.id)).toMatchObject({
    status: 'unsubscribed',
    unsubscribed_reason: 'complaint',
  });
  expect(await countersOfMailing(h.t.db, d.mailingId)).toMatchObject({
    complaints: 1,
    unsubscribed: 1,
    delivered: 1,
  });
});

test('when a report names no address or another, then its workflow is found under the delivery’s address', async () => {
  const d = await deliveredTo('ok.test');
  const base = { deliveryId: d.deliveryId, receivedAt: new Date().toISOString() };
  const reports: LateReport[] = [
    // A feedback loop blotted the address out; the signed headers named the delivery.
    {
      ...base,
      key: 'blotted',
      recipient: 'redacted@isp.example',
      kind: 'complaint',
      feedbackType: 'abuse',
      proof: 'signed_headers',
    },
    // A mail to the unsubscribe mailto names none.
    { ...base, key: 'mailto', recipient: null, kind: 'unsubscribe' },
    // Named as it was sent: nothing to change.
    {
      ...base,
      key: 'named',
      recipient: d.contact.email.toUpperCase(),
      kind: 'complaint',
      feedbackType: 'abuse',
    },
  ];
  for (const report of reports) await apply(report, `late-report-found-by-delivery-${report.key}`);
  const found = async (key: string) => {
    const { typedSearchAttributes: attrs } = await h.env.client.workflow
      .getHandle(`late-report-${d.deliveryId}-${key}`)
      .describe();
    return [attrs.get(sa.RecipientEmail), attrs.get(sa.RecipientDomain)];
  };
  expect(await found('blotted')).toEqual([d.contact.email, 'ok.test']);
  expect(await found('mailto')).toEqual([d.contact.email, 'ok.test']);
  expect(await found('named')).toEqual([d.contact.email.toUpperCase(), 'ok.test']);
});

test('when a delayed report arrives, then it is shown and changes nothing', async () => {
  const d = await deliveredTo('ok.test');
  await apply(bounce(d.deliveryId, d.contact.email, { key: 'd1', action: 'delayed', status: '4.4.7' }));
  expect(await countersOfMailing(h.t.db, d.mailingId)).toMatchObject({ delivered: 1 });
  const late = await h.t.db
    .selectFrom('delivery_attempts')
    .select('late')
    .where('delivery_id', '=', d.deliveryId)
    .execute();
  expect(late.filter((a) => a.late)).toHaveLength(1);
});

test.each([
  {
    bounced: 'its own address',
    recorded: 'late-report-signalled',
    recipient: (own: string) => own,
    outcome: { status: 'incorrect_address', category: 'hard_bounce', reason: 'user_unknown' },
    contactStatus: 'incorrect',
    counters: { incorrectAddresses: 1, technicalProblems: 0 },
  },
  {
    // As for a delivery that ended: the contact stays, the address may still deliver to the others.
    bounced: 'a member of an alias it expanded to',
    recorded: 'late-report-signalled-alias',
    recipient: () => 'old.member@elsewhere.example',
    outcome: { status: 'technical_problem', category: 'blocked', reason: 'expanded_address_failed' },
    contactStatus: 'active',
    counters: { incorrectAddresses: 0, technicalProblems: 1 },
  },
])(
  'when a delivery is still retrying and a hard bounce of $bounced comes, then it is told and ends as the report reads',
  async ({ recorded, recipient, outcome, contactStatus, counters }) => {
    const mailingId = await h.newMailing();
    const contact = await h.newContact('busy.test');
    const worker = await h.newWorker();
    await worker.runUntil(async () => {
      const handle = await h.start(mailingId, contact, { minDelayMs: 3_600_000, maxDelayMs: 3_600_000 });
      // Waiting an hour for its second attempt.
      for (let i = 0; i < 200 && (await handle.query(statusQuery)).retrying !== true; i++)
        await new Promise((r) => setTimeout(r, 50));
      const { deliveryId } = await handle.query(statusQuery);
      await startLateReport(h.env.client, hardBounce(deliveryId!, recipient(contact.email), 'r1'), {
        taskQueue: h.taskQueue,
      });
      const state = await handle.result();
      const late = h.env.client.workflow.getHandle(`late-report-${deliveryId}-r1`);
      await late.result();
      await maybeRecordHistory(recorded, late);
      expect(state.outcome).toEqual(outcome);
      expect(state.attempts).toHaveLength(1);
    });
    expect(await countersOfMailing(h.t.db, mailingId)).toMatchObject({ ...counters, retrying: 0 });
    expect(await contactOf(contact.id)).toMatchObject({ status: contactStatus });
  },
);

test('when a report holds what PostgreSQL cannot store, then its workflow fails at once instead of retrying for ever', async () => {
  // The listener cleans what it hands over (inbound/reports.ts); this is the backstop behind it.
  const { deliveryId, contact } = await deliveredTo('ok.test');
  const report = bounce(deliveryId, contact.email, { key: 'nul', remoteMta: 'mx\u0000.example' });
  const worker = await h.newWorker();
  await worker.runUntil(async () => {
    await startLateReport(h.env.client, report, { taskQueue: h.taskQueue });
    await expect(
      h.env.client.workflow.getHandle(`late-report-${deliveryId}-nul`).result(),
    ).rejects.toMatchObject({ cause: { cause: { type: 'UnstorableReport', nonRetryable: true } } });
  });
  expect(await contactOf(contact.id)).toMatchObject({ status: 'active' });
});

test('when a hard bounce names another address than the delivery’s (a member of an alias it expanded to), then it is a technical problem and the contact stays', async () => {
  const { mailingId, deliveryId, contact } = await deliveredTo('ok.test');
  await apply(bounce(deliveryId, 'old.member@elsewhere.example', { key: 'member' }));
  expect(await contactOf(contact.id)).toMatchObject({ status: 'active' });
  expect(await groupsOf(contact.id)).toBe(2);
  expect(await countersOfMailing(h.t.db, mailingId)).toMatchObject({
    incorrectAddresses: 0,
    technicalProblems: 1,
  });
});

test('when a hard bounce names the delivery’s mailbox under a rewritten domain (Microsoft 365’s onmicrosoft.com), then it is still the address’s', async () => {
  const { mailingId, deliveryId, contact } = await deliveredTo('ok.test');
  const local = contact.email.slice(0, contact.email.indexOf('@'));
  await apply(bounce(deliveryId, `${local}@tenant.mail.onmicrosoft.com`, { key: 'rewritten' }));
  expect(await contactOf(contact.id)).toMatchObject({ status: 'incorrect' });
  expect(await countersOfMailing(h.t.db, mailingId)).toMatchObject({ incorrectAddresses: 1 });
});
