/** What an operator and a retried activity can do to a delivery. */
import type { DeliveryState } from '../contract/delivery';
import { recordOutcome, recordRetry } from '../activities/recording';
import { giveUpSignal, retryNowSignal, statusQuery } from '../workflows/delivery';
import { createHarness, type Harness, maybeRecordHistory } from './support/delivery-harness';

const HOUR = 3_600_000;
let h: Harness;
beforeAll(async () => {
  h = await createHarness({ smtpTimeoutMs: 1_000 });
});
afterAll(async () => {
  await h?.teardown();
});

type Handle = Awaited<ReturnType<Harness['start']>>;
async function waitFor(handle: Handle, ok: (s: DeliveryState) => boolean): Promise<DeliveryState> {
  for (let i = 0; i < 200; i++) {
    const s = await handle.query(statusQuery);
    if (ok(s)) return s;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('state never reached');
}

describe('operator signals', () => {
  it('when retryNow arrives during a wait, then the next attempt starts at once; giveUp then ends it as a technical problem', async () => {
    const mailingId = await h.newMailing();
    const contact = await h.newContact('busy.test');
    const worker = await h.newWorker();
    await worker.runUntil(async () => {
      const handle = await h.start(mailingId, contact);
      const waiting = await waitFor(handle, (s) => s.retrying && s.attempts.length === 1);
      expect(Date.parse(waiting.nextAttemptAt!) - Date.parse(waiting.attempts[0]!.at)).toBeGreaterThanOrEqual(
        3 * HOUR,
      );

      await handle.signal(retryNowSignal);
      const retried = await waitFor(handle, (s) => s.attempts.length === 2 && s.retrying);
      expect(Date.parse(retried.attempts[1]!.at) - Date.parse(retried.attempts[0]!.at)).toBeLessThan(60_000);

      await handle.signal(giveUpSignal);
      const end = await handle.result();
      expect(end.attempts).toHaveLength(2);
      expect(end.outcome).toEqual({
        status: 'technical_problem',
        category: 'soft_bounce',
        reason: 'cancelled_by_operator',
      });
      await maybeRecordHistory('signals', handle);
    });
    const row = await h.t.db
      .selectFrom('deliveries')
      .selectAll()
      .where('mailing_id', '=', mailingId)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({
      status: 'technical_problem',
      reason: 'cancelled_by_operator',
      attempts: 2,
      next_attempt_at: null,
    });
    expect(row.last_reply).toMatch(/^421/);
  });
});

describe('slow.test', () => {
  it('when the server never answers, then the attempt is a soft bounce by timeout and the worker moves on', async () => {
    const mailingId = await h.newMailing();
    const contact = await h.newContact('slow.test');
    const worker = await h.newWorker();
    const wall = Date.now();
    const end = await worker.runUntil(async () => {
      // A 1 h window: one attempt, then retries are exhausted (the retry schedule has its own test).
      const handle = await h.start(mailingId, contact, { windowMs: HOUR });
      const result = await handle.result();
      await maybeRecordHistory('slow', handle);
      return result;
    });
    expect(end.attempts).toHaveLength(1);
    expect(end.attempts[0]!.classification).toMatchObject({ category: 'soft_bounce', reason: 'timeout' });
    expect(end.outcome).toEqual({
      status: 'technical_problem',
      category: 'soft_bounce',
      reason: 'retries_exhausted',
    });
    expect(Date.now() - wall).toBeLessThan(30_000);
  });
});

describe('recording is idempotent', () => {
  it('when the same outcome or retry is recorded twice, then the second time changes nothing', async () => {
    const mailingId = await h.newMailing();
    const contact = await h.newContact('unknown.test');
    const { id: deliveryId } = await h.t.db
      .insertInto('deliveries')
      .values({
        account_id: h.accountId,
        mailing_id: mailingId,
        contact_id: contact.id,
        email: contact.email,
        email_key: contact.email,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await h.t.db
      .insertInto('mailing_counters')
      .values({ mailing_id: mailingId, shard: 0, total: 1 })
      .execute();
    const attempt = (n: number, reply: string, category: 'soft_bounce' | 'hard_bounce', reason: string) => ({
      n,
      at: new Date(Date.UTC(2026, 10, 27, n)).toISOString(),
      accepted: false,
      reply,
      classification: { category, reason, code: Number(reply.slice(0, 3)), enhancedCode: null, rule: 'test' },
      mxHost: null,
      phase: 'RCPT TO',
      messageId: '<m@x>',
      durationMs: 5,
    });
    const snapshot = async () => ({
      delivery: await h.t.db
        .selectFrom('deliveries')
        .selectAll()
        .where('id', '=', deliveryId)
        .executeTakeFirst(),
      attempts: await h.t.db
        .selectFrom('delivery_attempts')
        .selectAll()
        .where('delivery_id', '=', deliveryId)
        .execute(),
      counters: await h.t.db
        .selectFrom('mailing_counters')
        .selectAll()
        .where('mailing_id', '=', mailingId)
        .orderBy('shard')
        .execute(),
      reasons: await h.t.db
        .selectFrom('mailing_reason_counters')
        .selectAll()
        .where('mailing_id', '=', mailingId)
        .execute(),
      contact: await h.t.db
        .selectFrom('contacts')
        .selectAll()
        .where('id', '=', contact.id)
        .executeTakeFirst(),
      removed: await h.t.db
        .selectFrom('removed_group_members')
        .selectAll()
        .where('contact_id', '=', contact.id)
        .execute(),
    });

    const retry = {
      deliveryId,
      attempt: attempt(1, '421 busy', 'soft_bounce', 'server_busy'),
      nextAttemptAt: new Date().toISOString(),
    };
    await recordRetry(h.t.db, retry);
    const afterRetry = await snapshot();
    await recordRetry(h.t.db, retry);
    expect(await snapshot()).toEqual(afterRetry);
    expect(afterRetry.counters.reduce((n, c) => n + c.retrying, 0)).toBe(1);

    const outcome = {
      deliveryId,
      attempt: attempt(2, '550 5.1.1 unknown', 'hard_bounce', 'user_unknown'),
      outcome: {
        status: 'incorrect_address' as const,
        category: 'hard_bounce' as const,
        reason: 'user_unknown',
      },
    };
    expect(await recordOutcome(h.t.db, outcome)).toEqual({ recorded: true });
    const afterOutcome = await snapshot();
    expect(await recordOutcome(h.t.db, outcome)).toEqual({ recorded: false });
    expect(await snapshot()).toEqual(afterOutcome);

    expect(afterOutcome.counters.reduce((n, c) => n + c.incorrect_addresses, 0)).toBe(1);
    expect(afterOutcome.counters.reduce((n, c) => n + c.retrying, 0)).toBe(0);
    expect(afterOutcome.attempts).toHaveLength(2);
    expect(afterOutcome.contact?.status).toBe('incorrect');
    expect(afterOutcome.removed.map((r) => r.group_id).sort()).toEqual(contact.groupIds.sort());
  });
});

describe('ops view in the Temporal UI', () => {
  /** What the UI shows on a workflow's page under "Current details" (the SDK's metadata query). */
  async function currentDetails(handle: Handle): Promise<string> {
    const metadata = await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
    return metadata.currentDetails ?? '';
  }

  it('when a delivery waits to retry, then its summary, details and search attributes say whom, what was answered and when it tries again', async () => {
    const mailingId = await h.newMailing();
    const contact = await h.newContact('busy.test');
    const worker = await h.newWorker();
    await worker.runUntil(async () => {
      const handle = await h.start(mailingId, contact);
      const waiting = await waitFor(handle, (s) => s.retrying && s.attempts.length === 1);

      const described = await handle.describe();
      expect(await described.staticSummary()).toBe(`${contact.email} · mailing ${mailingId}`);
      const waitingDetails = await currentDetails(handle);
      expect(waitingDetails).toContain(`next attempt at ${waiting.nextAttemptAt}`);
      expect(waitingDetails).toContain('421 4.3.2');
      expect(waitingDetails).toContain('soft_bounce, server_busy');
      expect(described.searchAttributes).toMatchObject({
        RecipientEmail: [contact.email],
        MailingId: [mailingId],
        // One vocabulary with the API: waiting is in_progress, found by its last category.
        DeliveryStatus: ['in_progress'],
        BounceCategory: ['soft_bounce'],
        DeliveryAttempts: [1],
      });

      await handle.signal(giveUpSignal);
      await handle.result();
      expect(await currentDetails(handle)).toContain('ended: soft_bounce, cancelled_by_operator');
      expect((await handle.describe()).searchAttributes).toMatchObject({
        DeliveryStatus: ['technical_problem'],
        BounceReason: ['cancelled_by_operator'],
      });
    });
  });
});
