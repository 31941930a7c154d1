/**
 * The mailing workflow on its own: the recipient snapshot, a fan-out across batches and
 * continue-as-new, a retried batch that starts nothing twice, and the end of the mailing.
 */
import { FIXTURE_DKIM_KEY_SECRET } from '../dev/fixture-domain';
import { WorkflowFailedError } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { createActivities } from '../activities';
import { deliveryWorkflowId } from '../contract/delivery';
import { MAILING_STEPS_PER_RUN, mailingWorkflowId } from '../contract/mailing';
import { startMailing } from '../contract/starters';
import { emailKey } from '../domain/address';
import type { delivery } from '../workflows/delivery';
import {
  createHarness,
  type Harness,
  maybeRecordHistory,
  TEST_PUBLIC_URL,
  TEST_RETURN_PATH,
} from './support/delivery-harness';
import { expectWorkflowFailure } from './support/temporal';

const { EventType } = temporal.api.enums.v1;
let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h?.teardown();
});

/** A mailing to one group of `n` contacts at `domain`, plus one incorrect contact that must be skipped. */
async function mailingTo(n: number, domain: string, status: 'draft' | 'sending' = 'sending') {
  const mailingId = await h.newMailing();
  await h.t.db.updateTable('mailings').set({ status }).where('id', '=', mailingId).execute();
  const { id: groupId } = await h.t.db
    .insertInto('groups')
    .values({ account_id: h.accountId, name: 'all' })
    .returning('id')
    .executeTakeFirstOrThrow();
  const emails = Array.from({ length: n }, (_, i) => `m${mailingId}-${i}@${domain}`);
  const contacts = await h.t.db
    .insertInto('contacts')
    .values([
      ...emails.map((email) => ({ account_id: h.accountId, email, email_key: emailKey(email) })),
      {
        account_id: h.accountId,
        email: `gone-${mailingId}@ok.test`,
        email_key: `gone-${mailingId}@ok.test`,
        status: 'incorrect' as const,
      },
    ])
    .returning('id')
    .execute();
  await h.t.db
    .insertInto('group_members')
    .values(contacts.map((c) => ({ group_id: groupId, contact_id: c.id })))
    .execute();
  await h.t.db.insertInto('mailing_groups').values({ mailing_id: mailingId, group_id: groupId }).execute();
  return { mailingId, emails };
}

test('a fan-out over batches and runs starts every delivery once and ends the mailing', async () => {
  const { mailingId, emails } = await mailingTo(7, 'ok.test');
  const worker = await h.newWorker();
  await worker.runUntil(async () => {
    const handle = await startMailing(
      h.env.client,
      { mailingId, batchSize: 2, stepsPerRun: 2 },
      { taskQueue: h.taskQueue },
    );
    const firstRunId = handle.firstExecutionRunId;
    expect(await handle.result()).toEqual({ total: 7, started: 7 });
    const first = await h.env.client.workflow.getHandle(handle.workflowId, firstRunId).fetchHistory();
    expect(first.events?.at(-1)?.eventType).toBe(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW);
    await maybeRecordHistory('mailing', h.env.client.workflow.getHandle(handle.workflowId));

    const m = await h.t.db
      .selectFrom('mailings')
      .selectAll()
      .where('id', '=', mailingId)
      .executeTakeFirstOrThrow();
    expect(m).toMatchObject({ status: 'done', recipients_total: 7, deliveries_started: 7 });
    expect(m.done_at).not.toBeNull();
    const rows = await h.t.db
      .selectFrom('deliveries')
      .select(['email', 'status'])
      .where('mailing_id', '=', mailingId)
      .execute();
    expect(rows.map((r) => r.email).sort()).toEqual([...emails].sort());
    expect(rows.every((r) => r.status === 'delivered')).toBe(true);
    for (const email of emails) expect(h.lab.received(email)).toBe(1);

    // A batch retried by Temporal: same input again. Nothing new starts, nothing is counted twice.
    const activities = createActivities({
      db: h.t.db,
      smtp: { send: () => Promise.reject(new Error('unused')), close: () => undefined },
      dkimKeySecret: FIXTURE_DKIM_KEY_SECRET,
      returnPath: TEST_RETURN_PATH,
      publicUrl: TEST_PUBLIC_URL,
      temporal: h.env.client,
      taskQueue: h.taskQueue,
    });
    const again = await activities.startDeliveries({
      mailingId,
      afterDeliveryId: null,
      limit: 100,
      startedBefore: 0,
    });
    expect(again.started).toBe(7);
    await new Promise((resolve) => setTimeout(resolve, 300));
    for (const email of emails) expect(h.lab.received(email)).toBe(1);
    expect(await activities.resolveRecipients({ mailingId })).toEqual({ total: 7 });
    const after = await h.t.db
      .selectFrom('mailings')
      .select('deliveries_started')
      .where('id', '=', mailingId)
      .executeTakeFirstOrThrow();
    expect(after.deliveries_started).toBe(7);

    // Even a run under a new workflow id (Temporal forgot the old run) does not send an ended delivery again.
    const [one] = await h.t.db
      .selectFrom('deliveries')
      .select(['contact_id', 'email'])
      .where('mailing_id', '=', mailingId)
      .execute();
    const rerun = await h.env.client.workflow.execute<typeof delivery>('delivery', {
      taskQueue: h.taskQueue,
      workflowId: `delivery-rerun-${mailingId}`,
      args: [{ mailingId, contactId: one!.contact_id, email: one!.email }],
    });
    expect(rerun).toMatchObject({ status: 'delivered', attempts: [] });
    expect(h.lab.received(one!.email)).toBe(1);
  });
});

test('retry bounds given to a mailing reach each of its deliveries', async () => {
  const { mailingId } = await mailingTo(2, 'busy.test');
  const retry = { minDelayMs: 1_000, maxDelayMs: 2_000, windowMs: 5_000 };
  const worker = await h.newWorker();
  await worker.runUntil(async () => {
    const handle = await startMailing(h.env.client, { mailingId, retry }, { taskQueue: h.taskQueue });
    expect(await handle.result()).toEqual({ total: 2, started: 2 });
  });
  const rows = await h.t.db
    .selectFrom('deliveries')
    .select(['contact_id', 'status'])
    .where('mailing_id', '=', mailingId)
    .execute();
  expect(rows.map((r) => r.status)).toEqual(['technical_problem', 'technical_problem']);
  for (const { contact_id } of rows) {
    const workflowId = deliveryWorkflowId(mailingId, contact_id);
    const history = await h.env.client.workflow.getHandle(workflowId).fetchHistory();
    const [payload] = history.events![0]!.workflowExecutionStartedEventAttributes!.input!.payloads!;
    expect(JSON.parse(Buffer.from(payload!.data!).toString())).toMatchObject({ retry });
  }
});

test('a mailing of nobody is done at once; it was started with the short runs of new mailings', async () => {
  const { mailingId } = await mailingTo(0, 'ok.test');
  const worker = await h.newWorker();
  await worker.runUntil(async () => {
    const handle = await startMailing(h.env.client, { mailingId }, { taskQueue: h.taskQueue });
    expect(await handle.result()).toEqual({ total: 0, started: 0 });
    const history = await handle.fetchHistory();
    const [payload] = history.events![0]!.workflowExecutionStartedEventAttributes!.input!.payloads!;
    expect(JSON.parse(Buffer.from(payload!.data!).toString())).toEqual({
      mailingId,
      stepsPerRun: MAILING_STEPS_PER_RUN,
    });
  });
  const m = await h.t.db
    .selectFrom('mailings')
    .select('status')
    .where('id', '=', mailingId)
    .executeTakeFirstOrThrow();
  expect(m.status).toBe('done');
});

test('a workflow started for a draft (its send was rolled back) ends without sending', async () => {
  const { mailingId, emails } = await mailingTo(2, 'ok.test', 'draft');
  expectWorkflowFailure(mailingWorkflowId(mailingId));
  const worker = await h.newWorker();
  await worker.runUntil(async () => {
    const handle = await startMailing(h.env.client, { mailingId }, { taskQueue: h.taskQueue });
    await expect(handle.result()).rejects.toBeInstanceOf(WorkflowFailedError);
  });
  for (const email of emails) expect(h.lab.attempts(email)).toBe(0);
  const n = await h.t.db.selectFrom('deliveries').select('id').where('mailing_id', '=', mailingId).execute();
  expect(n).toEqual([]);
});
