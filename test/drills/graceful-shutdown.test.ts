/**
 * Drill: graceful shutdown. SIGTERM to a worker lets the send in flight finish (within the SMTP
 * timeout, far inside the 30 s grace time) instead of abandoning it to a retry; SIGTERM to the API
 * answers the request in flight before the process exits.
 */
import type { ChildProcess } from 'node:child_process';
import { temporal as proto } from '@temporalio/proto';
import { startDelivery } from '../../contract/starters';
import { createAccount } from '../../db/accounts';
import { DRILL_RETRY, reportDrill, startDrillWorker, useDrillServers } from '../support/drill';
import { seedMailing } from '../../dev/seed';
import { forkApi } from '../../dev/service-process';
import { until } from '../../dev/until';

const { EventType } = proto.api.enums.v1;
const SMTP_TIMEOUT_MS = 3_000;

const servers = useDrillServers();

const exitOf = (p: ChildProcess) =>
  new Promise<number | null>((resolve) => p.once('exit', (code) => resolve(code)));

test('SIGTERM to a worker finishes the send in flight, then the worker exits', async () => {
  const { t, lab, temporal } = servers;
  const { id: accountId } = await createAccount(t.db, 'shutdown');
  const { mailingId } = await seedMailing(t.db, accountId, { 'slow.test': 1 }, { status: 'sending' });
  const contact = await t.db.selectFrom('contacts').select(['id', 'email']).executeTakeFirstOrThrow();
  const taskQueue = 'drill-shutdown';
  const opts = { address: temporal.address, databaseUrl: t.url, labUrl: lab.url, taskQueue };
  const env = { SMTP_TIMEOUT_MS: String(SMTP_TIMEOUT_MS) };

  const first = await startDrillWorker({ ...opts, env });
  const handle = await startDelivery(
    first.client,
    { mailingId, contactId: contact.id, email: contact.email, retry: DRILL_RETRY },
    { taskQueue },
  );
  // slow.test takes RCPT TO and never answers: the send is in flight until the SMTP timeout.
  await until(() => Promise.resolve(lab.attempts(contact.email) >= 1), 'the send in flight');
  const exited = exitOf(first.process);
  const termAt = Date.now();
  first.process.kill('SIGTERM');
  expect(await exited).toBe(0);
  const exitMs = Date.now() - termAt;

  // The attempt finished on the stopping worker: completed, not timed out or failed for a retry.
  const history = await handle.fetchHistory();
  const types = history.events!.map((e) => e.eventType);
  expect(types).toContain(EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED);
  expect(types).not.toContain(EventType.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT);
  expect(types).not.toContain(EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED);
  expect(exitMs).toBeLessThan(30_000);

  // The next worker takes the delivery on from there.
  const second = await startDrillWorker({ ...opts, env });
  try {
    await until(() => Promise.resolve(lab.attempts(contact.email) >= 2), 'the second attempt');
    await handle.signal('giveUp');
    expect(await handle.result()).toMatchObject({ status: 'technical_problem' });
  } finally {
    await second.stop();
    await first.stop();
  }
  reportDrill('worker SIGTERM', { exitMs, sendInFlightFinished: 1 });
});

test('SIGTERM to the API answers the request in flight, then the API exits', async () => {
  const { t, temporal } = servers;
  const { key } = await createAccount(t.db, 'drain');
  const { url, process: api } = await forkApi({ DATABASE_URL: t.url, TEMPORAL_ADDRESS: temporal.address });
  const exited = exitOf(api);
  // A large import keeps the request busy for a while: SIGTERM arrives in the middle of it.
  const contacts = Array.from({ length: 50_000 }, (_, i) => ({ email: `drain${i}@ok.test` }));
  const request = fetch(`${url}/v1/contacts/import`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ contacts }),
  });
  await new Promise((r) => setTimeout(r, 200));
  const termAt = Date.now();
  api.kill('SIGTERM');
  const res = await request;
  const answeredAfterTermMs = Date.now() - termAt;
  expect(res.status).toBe(200);
  expect(await exited).toBe(0);
  const imported = await t.db
    .selectFrom('contacts')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('email', 'like', 'drain%')
    .executeTakeFirstOrThrow();
  expect(Number(imported.n)).toBe(50_000);
  // Stopped: nothing listens any more.
  await expect(fetch(`${url}/health`)).rejects.toThrow();
  reportDrill('API SIGTERM', { requestInFlight: 1, answeredAfterTermMs });
});
