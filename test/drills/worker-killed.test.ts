/**
 * Drill: the worker is killed (SIGKILL) in the middle of a mailing of mixed lab domains and a new
 * one takes over. Every delivery ends exactly once, the counters equal the rows, hard bounces remove
 * exactly their contacts, and the duplicates the lab saw are bounded by the sends in flight at the
 * kill. Real time on the dev server (a real server moves the dead worker's tasks on after 10 s),
 * with retry waits of seconds.
 */
import { mailingCounters } from '../../activities/mailing';
import { startMailing } from '../../common/mailing';
import { type BounceLab, startBounceLab } from '../../dev/bounce-lab';
import { createTestDatabase, type TestDatabase } from '../support/database';
import {
  DRILL_RETRY,
  drillSize,
  reportDrill,
  scaleMix,
  startDevTemporal,
  startDrillWorker,
} from '../support/drill';
import { mixEmails, mixTotal, seedMailing } from '../support/seed';
import { until } from '../support/until';

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

let t: TestDatabase;
let lab: BounceLab;
let temporal: Awaited<ReturnType<typeof startDevTemporal>>;
beforeAll(async () => {
  [t, lab, temporal] = await Promise.all([createTestDatabase(), startBounceLab(), startDevTemporal()]);
});
afterAll(async () => {
  await Promise.allSettled([temporal?.dispose(), lab?.stop(), t?.drop()]);
});

test('a worker killed mid-mailing loses nothing and sends at most the in-flight messages twice', async () => {
  const taskQueue = `drill-${Date.now()}`;
  const { id: accountId } = await t.db
    .insertInto('accounts')
    .values({ name: 'drill' })
    .returning('id')
    .executeTakeFirstOrThrow();
  const { groupId, mailingId } = await seedMailing(t.db, accountId, MIX, { status: 'sending' });
  const emails = mixEmails(MIX);
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
  first.process.kill('SIGKILL');
  const atKill = await mailingCounters(t.db, mailingId);
  const inFlightAtKill = TOTAL - atKill.ended;

  const second = await startDrillWorker(workerOpts);
  try {
    await handle.result();
  } finally {
    await second.stop();
    await first.stop();
  }

  // Every delivery ended exactly once, and the counters say what the rows say.
  const rows = await t.db
    .selectFrom('deliveries')
    .select(['email', 'status'])
    .where('mailing_id', '=', mailingId)
    .execute();
  expect(rows).toHaveLength(TOTAL);
  expect(new Set(rows.map((r) => r.email)).size).toBe(TOTAL);
  expect(rows.filter((r) => r.status === 'in_progress')).toEqual([]);
  const count = (status: string) => rows.filter((r) => r.status === status).length;
  const c = await mailingCounters(t.db, mailingId);
  expect(c).toMatchObject({
    total: TOTAL,
    delivered: count('delivered'),
    incorrectAddresses: count('incorrect_address'),
    technicalProblems: count('technical_problem'),
    retrying: 0,
  });
  expect(c.delivered).toBe(MIX['ok.test']! + MIX['grey.test']! + MIX['flaky.test']!);
  expect(c.incorrectAddresses).toBe(MIX['unknown.test']);

  // Hard bounces removed exactly their contacts.
  const incorrect = await t.db
    .selectFrom('contacts')
    .select('email')
    .where('status', '=', 'incorrect')
    .execute();
  expect(incorrect.map((r) => r.email).sort()).toEqual(
    emails.filter((e) => e.endsWith('@unknown.test')).sort(),
  );
  const members = await t.db
    .selectFrom('group_members')
    .select('contact_id')
    .where('group_id', '=', groupId)
    .execute();
  expect(members).toHaveLength(TOTAL - MIX['unknown.test']!);

  // Messages accepted twice: only deliveries in flight at the kill can have been sent again.
  const accepting = emails.filter((e) => /@(ok|grey|flaky)\.test$/.test(e));
  const duplicates = accepting.reduce((sum, e) => sum + Math.max(0, lab.received(e) - 1), 0);
  for (const e of accepting) expect(lab.received(e)).toBeGreaterThanOrEqual(1);
  expect(duplicates).toBeLessThanOrEqual(inFlightAtKill);
  reportDrill('worker killed', { deliveries: TOTAL, notEndedAtKill: inFlightAtKill, duplicates });
});
