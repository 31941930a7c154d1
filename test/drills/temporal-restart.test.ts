/**
 * Drill: the Temporal dev server (on its SQLite file, as `npm start` runs it) is stopped and started
 * again while deliveries wait between retries. After the restart the waits and retries go on as
 * scheduled: those given waits of seconds are retried on time (real time), those on the production
 * waits of 3–4 h still have their next attempt at the very same moment.
 */
import { type DeliveryState, deliveryWorkflowId } from '../../contract/delivery';
import { startDelivery } from '../../contract/starters';
import { DRILL_RETRY, drillSize, reportDrill, startDrillWorker, useDrillServers } from '../support/drill';
import { seedMailing } from '../../dev/seed';
import { until } from '../../dev/until';

const BOUNDS = DRILL_RETRY;

const servers = useDrillServers();

/** When each attempt of a delivery was recorded, oldest first. */
async function attemptTimes(workflowIds: string[]): Promise<Map<string, number[]>> {
  const rows = await servers.t.db
    .selectFrom('delivery_attempts')
    .innerJoin('deliveries', 'deliveries.id', 'delivery_attempts.delivery_id')
    .select(['deliveries.mailing_id', 'deliveries.contact_id', 'delivery_attempts.at'])
    .orderBy('delivery_attempts.n')
    .execute();
  const times = new Map(workflowIds.map((id) => [id, [] as number[]]));
  for (const r of rows) times.get(deliveryWorkflowId(r.mailing_id, r.contact_id))?.push(r.at.getTime());
  return times;
}

// Real time: a few waiting deliveries in `npm test`, up to 100 under `npm run drill`.
const WAITING = Math.min(drillSize(3), 100);

test('deliveries waiting on timers go on as scheduled after Temporal restarts', async () => {
  const { t, lab, temporal } = servers;
  const { id: accountId } = await t.db
    .insertInto('accounts')
    .values({ name: 'restart' })
    .returning('id')
    .executeTakeFirstOrThrow();
  const { mailingId } = await seedMailing(
    t.db,
    accountId,
    { 'busy.test': 2 * WAITING },
    { status: 'sending' },
  );
  const contacts = await t.db
    .selectFrom('contacts')
    .select(['id', 'email'])
    .where('account_id', '=', accountId)
    .orderBy('id')
    .execute();

  const taskQueue = 'drill-restart';
  const worker = await startDrillWorker({
    address: temporal.address,
    databaseUrl: t.url,
    labUrl: lab.url,
    taskQueue,
  });
  try {
    // Half wait seconds between attempts, half the production 3–4 h.
    const handles = await Promise.all(
      contacts.map((c, i) =>
        startDelivery(
          worker.client,
          { mailingId, contactId: c.id, email: c.email, ...(i < WAITING && { retry: BOUNDS }) },
          { taskQueue },
        ),
      ),
    );
    const [fast, hours] = [handles.slice(0, WAITING), handles.slice(WAITING)];
    const ids = fast.map((h) => h.workflowId);
    const attemptsAtLeast = async (n: number) =>
      [...(await attemptTimes(ids)).values()].every((at) => at.length >= n);
    await until(() => attemptsAtLeast(1), 'every first attempt');
    const scheduled = async () => Promise.all(hours.map((h) => h.query<DeliveryState>('status')));
    await until(
      async () => (await scheduled()).every((s) => s.nextAttemptAt !== null),
      'every hours-long wait scheduled',
    );
    const before = await scheduled();
    for (const s of before) {
      const wait = Date.parse(s.nextAttemptAt!) - Date.parse(s.attempts[0]!.at);
      expect(wait).toBeGreaterThanOrEqual(3 * 3_600_000);
      expect(wait).toBeLessThanOrEqual(4 * 3_600_000 + 60_000); // counted from the send, not its end
    }

    // Down for a moment while the deliveries wait for their second attempt, then up on the same file.
    await temporal.stop();
    await new Promise((r) => setTimeout(r, 500));
    await temporal.start();

    await until(() => attemptsAtLeast(3), 'two more attempts of each after the restart');
    const gaps = [...(await attemptTimes(ids)).values()].flatMap((at) =>
      at.slice(1).map((a, i) => a - at[i]!),
    );
    for (const gap of gaps) {
      expect(gap).toBeGreaterThanOrEqual(BOUNDS.minDelayMs - 50);
      // The wait spanning the restart may run late by the downtime and the reconnection, no more.
      expect(gap).toBeLessThan(BOUNDS.maxDelayMs + 15_000);
    }
    // The hours-long waits: the same next attempt as before the restart, no attempt in between.
    const after = await scheduled();
    expect(after.map((s) => [s.status, s.attempts.length, s.nextAttemptAt])).toEqual(
      before.map((s) => ['in_progress', 1, s.nextAttemptAt]),
    );

    await Promise.all(handles.map((h) => h.signal('giveUp')));
    for (const h of handles) expect(await h.result()).toMatchObject({ status: 'technical_problem' });
    reportDrill('temporal restarted', {
      deliveriesWaitingSeconds: WAITING,
      deliveriesWaitingHours: WAITING,
      attempts: gaps.length + WAITING,
      longestGapMs: Math.max(...gaps),
    });
  } finally {
    await worker.stop();
  }
});
