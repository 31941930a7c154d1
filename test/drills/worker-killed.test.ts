/**
 * Drill: the worker is killed (SIGKILL) in the middle of a mailing of mixed lab domains and a new
 * one takes over. Every delivery ends exactly once, the counters equal the rows, hard bounces remove
 * exactly their contacts, and the duplicates the lab saw are bounded by the sends in flight at the
 * kill. Real time on the dev server (a real server moves the dead worker's tasks on after 10 s),
 * with retry waits of seconds.
 */
import { countersOfMailing as mailingCounters } from '../../db/counters';
import { startMailing } from '../../contract/starters';
import {
  DRILL_RETRY,
  drillSize,
  reportDrill,
  scaleMix,
  expectMailingEndedOnce,
  startDrillWorker,
  useDrillServers,
} from '../support/drill';
import { mixTotal, seedMailing } from '../../dev/seed';
import { until } from '../../dev/until';

const MIX = scaleMix(
  {
    'ok.test': 24,
    'unknown.test': 6,
    'full.test': 4,
    'blocked.test': 4,
    'grey.test': 4,
    'flaky.test': 4,
    'busy.test': 2,
  },
  drillSize(48),
);
const TOTAL = mixTotal(MIX);

jest.setTimeout(300_000 + TOTAL * 200);

const servers = useDrillServers();

test('a worker killed mid-mailing loses nothing and sends at most the in-flight messages twice', async () => {
  const { t, lab, temporal } = servers;
  const taskQueue = `drill-${Date.now()}`;
  const { id: accountId } = await t.db
    .insertInto('accounts')
    .values({ name: 'drill' })
    .returning('id')
    .executeTakeFirstOrThrow();
  const { groupId, mailingId } = await seedMailing(t.db, accountId, MIX, { status: 'sending' });
  const workerOpts = { address: temporal.address, databaseUrl: t.url, labUrl: lab.url, taskQueue };

  const first = await startDrillWorker(workerOpts);
  const handle = await startMailing(
    first.client,
    { mailingId, batchSize: Math.min(500, Math.ceil(TOTAL / 5)), retry: DRILL_RETRY },
    { taskQueue },
  );
  // Kill once the mailing is well under way: some deliveries ended, others still in flight.
  await until(async () => (await mailingCounters(t.db, mailingId)).ended >= TOTAL / 4, 'a quarter ended', {
    timeoutMs: 120_000 + TOTAL * 100,
  });
  // In flight at the kill: one at most on each session open now (the worker keeps its sessions
  // with the relay between messages), and the messages begun before the worker is gone (the
  // signal is not instant: a send can start, and be accepted, after this sample).
  const begunBefore = lab.messagesBegun();
  const openNow = lab.openSessions();
  const exited = new Promise((resolve) => first.process.once('exit', resolve));
  first.process.kill('SIGKILL');
  await exited;
  const sendsInFlight = openNow + lab.messagesBegun() - begunBefore;
  const atKill = await mailingCounters(t.db, mailingId);
  const inFlightAtKill = TOTAL - atKill.ended;

  const second = await startDrillWorker(workerOpts);
  try {
    await handle.result();
  } finally {
    await second.stop();
    await first.stop();
  }

  // Messages accepted twice: only a send in flight at the kill, caught between the server's 250
  // and the commit of its acceptance (milliseconds), can have been sent again.
  const duplicates = await expectMailingEndedOnce(t.db, lab, { mailingId, groupId, mix: MIX });
  expect(duplicates).toBeLessThanOrEqual(sendsInFlight);
  reportDrill('worker killed', {
    deliveries: TOTAL,
    notEndedAtKill: inFlightAtKill,
    sendsInFlightAtKill: sendsInFlight,
    duplicates,
  });
});
