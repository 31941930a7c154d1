/**
 * Drill: the worker is killed (SIGKILL) in the middle of a mailing of mixed lab domains and a new
 * one takes over. Every delivery ends exactly once, the counters equal the rows, hard bounces remove
 * exactly their contacts, and the duplicates the lab saw are bounded by the sends in flight at the kill.
 */
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { mailingCounters } from '../../activities/mailing';
import { startMailing } from '../../common/mailing';
import { type BounceLab, startBounceLab } from '../../dev/bounce-lab';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { createTimeSkippingEnv } from '../support/temporal';
import { until } from '../support/until';

const MIX = {
  'ok.test': 24,
  'unknown.test': 6,
  'full.test': 4,
  'blocked.test': 4,
  'grey.test': 4,
  'flaky.test': 4,
  'busy.test': 2,
};
const TOTAL = Object.values(MIX).reduce((a, b) => a + b, 0);

// Two worker processes bundle the workflow code at start: slow on a shared 2-core machine.
jest.setTimeout(300_000);

let env: TestWorkflowEnvironment;
let t: TestDatabase;
let lab: BounceLab;
const workers: ChildProcess[] = [];
beforeAll(async () => {
  [env, t, lab] = await Promise.all([createTimeSkippingEnv(), createTestDatabase(), startBounceLab()]);
});
afterAll(async () => {
  for (const w of workers) if (w.exitCode === null && w.signalCode === null) w.kill('SIGKILL');
  await Promise.allSettled([env?.teardown(), lab?.stop(), t?.drop()]);
});

function startWorker(taskQueue: string): ChildProcess {
  const worker = fork(path.join(__dirname, '..', '..', 'worker', 'main.ts'), [], {
    execArgv: ['--import', 'tsx'],
    env: {
      ...process.env,
      DATABASE_URL: t.url,
      TEMPORAL_ADDRESS: env.address,
      TEMPORAL_TASK_QUEUE: taskQueue,
      SMTP_URL: lab.url,
      SMTP_TIMEOUT_MS: '2000',
      LOG_LEVEL: 'warn',
      // No sticky queues: the time-skipping test server never moves a workflow task off a dead
      // worker's sticky queue (a real server does after 10 s), which would stall the drill.
      WORKER_MAX_CACHED_WORKFLOWS: '0',
    },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  workers.push(worker);
  return worker;
}

test('a worker killed mid-mailing loses nothing and sends at most the in-flight messages twice', async () => {
  const taskQueue = `drill-${Date.now()}`;
  const { id: accountId } = await t.db
    .insertInto('accounts')
    .values({ name: 'drill' })
    .returning('id')
    .executeTakeFirstOrThrow();
  const { id: groupId } = await t.db
    .insertInto('groups')
    .values({ account_id: accountId, name: 'all' })
    .returning('id')
    .executeTakeFirstOrThrow();
  const emails = Object.entries(MIX).flatMap(([domain, n]) =>
    Array.from({ length: n }, (_, i) => `p${i}@${domain}`),
  );
  const contacts = await t.db
    .insertInto('contacts')
    .values(emails.map((email) => ({ account_id: accountId, email })))
    .returning(['id', 'email'])
    .execute();
  await t.db
    .insertInto('group_members')
    .values(contacts.map((c) => ({ group_id: groupId, contact_id: c.id })))
    .execute();
  const { id: mailingId } = await t.db
    .insertInto('mailings')
    .values({
      account_id: accountId,
      name: 'drill',
      from_email: 'news@sender.example',
      subject: 'S',
      text_body: 'T',
      status: 'sending',
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await t.db.insertInto('mailing_groups').values({ mailing_id: mailingId, group_id: groupId }).execute();

  const first = startWorker(taskQueue);
  const handle = await startMailing(env.client, { mailingId, batchSize: 10 }, { taskQueue });
  // Kill once the mailing is well under way: some deliveries ended, others still in flight.
  await until(async () => (await mailingCounters(t.db, mailingId)).ended >= TOTAL / 4, 'a quarter ended');
  first.kill('SIGKILL');
  const atKill = await mailingCounters(t.db, mailingId);
  const inFlightAtKill = TOTAL - atKill.ended;

  startWorker(taskQueue);
  await handle.result();

  // Every delivery ended exactly once, and the counters say what the rows say.
  const rows = await t.db
    .selectFrom('deliveries')
    .select(['email', 'status'])
    .where('mailing_id', '=', mailingId)
    .execute();
  expect(rows).toHaveLength(TOTAL);
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
  expect(c.delivered).toBe(MIX['ok.test'] + MIX['grey.test'] + MIX['flaky.test']);
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
  expect(members).toHaveLength(TOTAL - MIX['unknown.test']);

  // Messages accepted twice: only deliveries in flight at the kill can have been sent again.
  const accepting = emails.filter((e) => /@(ok|grey|flaky)\.test$/.test(e));
  const duplicates = accepting.reduce((sum, e) => sum + Math.max(0, lab.received(e) - 1), 0);
  for (const e of accepting) expect(lab.received(e)).toBeGreaterThanOrEqual(1);
  expect(duplicates).toBeLessThanOrEqual(inFlightAtKill);
  console.log(
    `worker killed with ${inFlightAtKill} of ${TOTAL} deliveries not ended; ${duplicates} duplicate message(s)`,
  );
});
