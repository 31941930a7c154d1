/**
 * The delivery workflow against real servers: time-skipping Temporal, PostgreSQL, the bounce lab
 * over SMTP. For each lab domain: attempts, verdict, delivery row, counters, and the contact.
 */
import type { DeliveryState } from '../contract/delivery';
import { createHarness, type Harness, maybeRecordHistory } from './support/delivery-harness';

const MIN = 60_000;
const HOUR = 60 * MIN;
let h: Harness;

beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h?.teardown();
});

async function counters(mailingId: string) {
  return h.t.db
    .selectFrom('mailing_counters')
    .select((eb) => [
      eb.fn.sum<string>('total').as('total'),
      eb.fn.sum<string>('delivered').as('delivered'),
      eb.fn.sum<string>('incorrect_addresses').as('incorrectAddresses'),
      eb.fn.sum<string>('technical_problems').as('technicalProblems'),
      eb.fn.sum<string>('retrying').as('retrying'),
    ])
    .where('mailing_id', '=', mailingId)
    .executeTakeFirstOrThrow()
    .then((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Number(v)])));
}

async function contactAfter(contactId: string) {
  const contact = await h.t.db
    .selectFrom('contacts')
    .selectAll()
    .where('id', '=', contactId)
    .executeTakeFirstOrThrow();
  const groups = await h.t.db
    .selectFrom('group_members')
    .select('group_id')
    .where('contact_id', '=', contactId)
    .execute();
  const removed = await h.t.db
    .selectFrom('removed_group_members')
    .select('group_id')
    .where('contact_id', '=', contactId)
    .execute();
  return {
    status: contact.status,
    reason: contact.incorrect_reason,
    groups: groups.map((g) => g.group_id).sort(),
    removed: removed.map((g) => g.group_id).sort(),
  };
}

/** Runs one delivery to a new contact at `domain` to its end; returns everything worth checking. */
async function deliverTo(domain: string, scenario: string) {
  const mailingId = await h.newMailing();
  const contact = await h.newContact(domain);
  const worker = await h.newWorker();
  const { state, handle } = await worker.runUntil(async () => {
    const handle = await h.start(mailingId, contact);
    return { state: await handle.result(), handle };
  });
  await maybeRecordHistory(scenario, handle);
  const row = await h.t.db
    .selectFrom('deliveries')
    .selectAll()
    .where('mailing_id', '=', mailingId)
    .executeTakeFirstOrThrow();
  const attemptRows = await h.t.db
    .selectFrom('delivery_attempts')
    .selectAll()
    .where('delivery_id', '=', row.id)
    .orderBy('n')
    .execute();
  return {
    state,
    row,
    attemptRows,
    contact,
    counters: await counters(mailingId),
    after: await contactAfter(contact.id),
    handle,
  };
}

const gaps = (state: DeliveryState) =>
  state.attempts.slice(1).map((a, i) => Date.parse(a.at) - Date.parse(state.attempts[i]!.at));

describe('delivery workflow, by lab domain', () => {
  it('ok.test: delivered on the first attempt; the contact keeps its groups', async () => {
    const r = await deliverTo('ok.test', 'ok');
    expect(r.state.attempts).toHaveLength(1);
    expect(r.state.outcome).toEqual({ status: 'delivered', category: 'delivered', reason: 'accepted' });
    expect(r.row).toMatchObject({
      status: 'delivered',
      category: 'delivered',
      attempts: 1,
      next_attempt_at: null,
    });
    expect(r.row.ended_at).not.toBeNull();
    expect(r.counters).toEqual({
      total: 1,
      delivered: 1,
      incorrectAddresses: 0,
      technicalProblems: 0,
      retrying: 0,
    });
    expect(r.after).toEqual({
      status: 'active',
      reason: null,
      groups: r.contact.groupIds.sort(),
      removed: [],
    });
    expect(h.lab.received(r.contact.email)).toBe(1);
  });

  it('unknown.test: a hard bounce; the contact becomes incorrect and leaves every group, which are remembered', async () => {
    const r = await deliverTo('unknown.test', 'unknown');
    expect(r.state.attempts).toHaveLength(1);
    expect(r.state.outcome).toEqual({
      status: 'incorrect_address',
      category: 'hard_bounce',
      reason: 'user_unknown',
    });
    expect(r.row).toMatchObject({ status: 'incorrect_address', reason: 'user_unknown', attempts: 1 });
    expect(r.row.last_reply).toMatch(/^550 5\.1\.1 .*User unknown/);
    expect(r.attemptRows[0]).toMatchObject({
      n: 1,
      code: 550,
      enhanced_code: '5.1.1',
      category: 'hard_bounce',
    });
    expect(r.counters).toEqual({
      total: 1,
      delivered: 0,
      incorrectAddresses: 1,
      technicalProblems: 0,
      retrying: 0,
    });
    expect(r.after).toEqual({
      status: 'incorrect',
      reason: 'user_unknown',
      groups: [],
      removed: r.contact.groupIds.sort(),
    });
  });

  it('full.test: mailbox full is a technical problem at once, no retry; the contact stays', async () => {
    const r = await deliverTo('full.test', 'full');
    expect(r.state.attempts).toHaveLength(1);
    expect(r.state.outcome).toEqual({
      status: 'technical_problem',
      category: 'mailbox_full',
      reason: 'mailbox_full',
    });
    expect(r.counters).toMatchObject({ total: 1, technicalProblems: 1, incorrectAddresses: 0 });
    expect(r.after).toEqual({
      status: 'active',
      reason: null,
      groups: r.contact.groupIds.sort(),
      removed: [],
    });
  });

  it('blocked.test: a blocklisting is a technical problem, never an incorrect address', async () => {
    const r = await deliverTo('blocked.test', 'blocked');
    expect(r.state.attempts).toHaveLength(1);
    expect(r.state.outcome).toEqual({
      status: 'technical_problem',
      category: 'blocked',
      reason: 'ip_blocklisted',
    });
    expect(r.counters).toMatchObject({ technicalProblems: 1, incorrectAddresses: 0 });
    expect(r.after.status).toBe('active');
    expect(r.after.groups).toEqual(r.contact.groupIds.sort());
  });

  it('busy.test: retried every 3 to 4 hours, never past 48 h, then a technical problem (retries_exhausted)', async () => {
    const wall = Date.now();
    const r = await deliverTo('busy.test', 'busy');
    const n = r.state.attempts.length;
    expect(n).toBeGreaterThanOrEqual(13); // 48 h / 4 h + 1
    expect(n).toBeLessThanOrEqual(17); // 48 h / 3 h + 1
    for (const gap of gaps(r.state)) {
      expect(gap).toBeGreaterThanOrEqual(3 * HOUR);
      expect(gap).toBeLessThanOrEqual(4 * HOUR + 1_000);
    }
    const first = Date.parse(r.state.attempts[0]!.at);
    for (const a of r.state.attempts) expect(Date.parse(a.at) - first).toBeLessThanOrEqual(48 * HOUR);
    expect(r.state.outcome).toEqual({
      status: 'technical_problem',
      category: 'soft_bounce',
      reason: 'retries_exhausted',
    });
    expect(r.row).toMatchObject({
      status: 'technical_problem',
      reason: 'retries_exhausted',
      attempts: n,
      next_attempt_at: null,
    });
    expect(r.row.last_reply).toMatch(/^421 4\.3\.2/);
    expect(r.attemptRows.map((a) => a.n)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    expect(r.counters).toEqual({
      total: 1,
      delivered: 0,
      incorrectAddresses: 0,
      technicalProblems: 1,
      retrying: 0,
    });
    expect(r.after.status).toBe('active');
    expect(h.lab.attempts(r.contact.email)).toBe(n);
    expect(Date.now() - wall).toBeLessThan(60_000); // two days of workflow time in seconds
  });

  it('grey.test: delivered on the second attempt, 10 to 20 minutes after the first', async () => {
    const r = await deliverTo('grey.test', 'grey');
    expect(r.state.attempts).toHaveLength(2);
    const [gap] = gaps(r.state);
    expect(gap).toBeGreaterThanOrEqual(10 * MIN);
    expect(gap).toBeLessThanOrEqual(20 * MIN + 1_000);
    expect(r.state.attempts[0]!.classification.reason).toBe('greylisted');
    expect(r.state.outcome?.status).toBe('delivered');
    expect(r.counters).toMatchObject({ delivered: 1, retrying: 0 });
  });

  it('flaky.test: delivered on the third attempt', async () => {
    const r = await deliverTo('flaky.test', 'flaky');
    expect(r.state.attempts).toHaveLength(3);
    for (const gap of gaps(r.state)) expect(gap).toBeGreaterThanOrEqual(3 * HOUR);
    expect(r.state.outcome?.status).toBe('delivered');
    expect(r.row).toMatchObject({ status: 'delivered', attempts: 3 });
    expect(r.counters).toMatchObject({ total: 1, delivered: 1, retrying: 0 });
  });

  it('any other domain: delivered', async () => {
    const r = await deliverTo('elsewhere.example', 'other');
    expect(r.state.outcome?.status).toBe('delivered');
  });
});
