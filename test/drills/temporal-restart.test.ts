/**
 * Drill: the Temporal dev server (on its SQLite file, as `npm start` runs it) is stopped and started
 * again while a delivery waits between retries. After the restart the waits and retries go on as
 * scheduled. Real time, so the retry bounds are seconds instead of hours.
 */
import { startDelivery } from '../../common/start-delivery';
import { DRILL_RETRY, drillSize, reportDrill, startDrillWorker, useDrillServers } from '../support/drill';
import { seedMailing } from '../support/seed';
import { until } from '../support/until';

const BOUNDS = DRILL_RETRY;

const servers = useDrillServers();

/** When each attempt of a delivery was recorded, oldest first. */
async function attemptTimes(workflowIds: string[]): Promise<Map<string, number[]>> {
  const rows = await servers.t.db
    .selectFrom('delivery_attempts')
    .innerJoin('deliveries', 'deliveries.id', 'delivery_attempts.delivery_id')
    .select(['deliveries.workflow_id', 'delivery_attempts.at'])
    .where('deliveries.workflow_id', 'in', workflowIds)
    .orderBy('delivery_attempts.n')
    .execute();
  const times = new Map(workflowIds.map((id) => [id, [] as number[]]));
  for (const r of rows) times.get(r.workflow_id)!.push(r.at.getTime());
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
  const { mailingId } = await seedMailing(t.db, accountId, { 'busy.test': WAITING }, { status: 'sending' });
  const contacts = await t.db
    .selectFrom('contacts')
    .select(['id', 'email'])
    .where('account_id', '=', accountId)
    .execute();

  const taskQueue = 'drill-restart';
  const worker = await startDrillWorker({
    address: temporal.address,
    databaseUrl: t.url,
    labUrl: lab.url,
    taskQueue,
  });
  try {
    const handles = await Promise.all(
      contacts.map((c) =>
        startDelivery(
          worker.client,
          { mailingId, contactId: c.id, email: c.email, retry: BOUNDS },
          { taskQueue },
        ),
      ),
    );
    const ids = handles.map((h) => h.workflowId);
    const attemptsAtLeast = async (n: number) =>
      [...(await attemptTimes(ids)).values()].every((at) => at.length >= n);
    await until(() => attemptsAtLeast(1), 'every first attempt');

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
    await Promise.all(handles.map((h) => h.signal('giveUp')));
    for (const h of handles) expect(await h.result()).toMatchObject({ status: 'technical_problem' });
    reportDrill('temporal restarted', {
      deliveriesWaiting: WAITING,
      attempts: gaps.length + WAITING,
      longestGapMs: Math.max(...gaps),
    });
  } finally {
    await worker.stop();
  }
});
