/**
 * Drill: the Temporal dev server (on its SQLite file, as `npm start` runs it) is stopped and started
 * again while a delivery waits between retries. After the restart the waits and retries go on as
 * scheduled. Real time, so the retry bounds are seconds instead of hours.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { createSmtpSender } from '../../activities/smtp';
import { startDelivery } from '../../common/start-delivery';
import { type BounceLab, startBounceLab } from '../../dev/bounce-lab';
import { type Child, stopChild } from '../../dev/processes';
import { startDevServer } from '../../dev/temporal-dev-server';
import { createWorker } from '../../worker/worker';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { workflowBundle } from '../support/delivery-harness';
import { freePort } from '../support/ports';
import { until } from '../support/until';

const BOUNDS = {
  minDelayMs: 3_000,
  maxDelayMs: 4_000,
  greylistMinDelayMs: 1_000,
  greylistMaxDelayMs: 2_000,
  windowMs: 30_000,
};

let t: TestDatabase;
let lab: BounceLab;
let dataDir: string;
let port: number;
let uiPort: number;
let server: Child | undefined;

const startServer = async () => {
  server = await startDevServer({
    cliPath: process.env.TEMPORAL_CLI_PATH!,
    dataDir,
    port,
    uiPort,
    namespace: 'default',
    log: () => undefined,
  });
};

beforeAll(async () => {
  [t, lab] = await Promise.all([createTestDatabase(), startBounceLab()]);
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'drill-temporal-'));
  [port, uiPort] = [await freePort(), await freePort()];
  await startServer();
});
afterAll(async () => {
  if (server) await stopChild(server);
  await Promise.allSettled([lab?.stop(), t?.drop(), fs.rm(dataDir, { recursive: true, force: true })]);
});

async function attempts(deliveryWorkflowId: string) {
  const d = await t.db
    .selectFrom('deliveries')
    .select('id')
    .where('workflow_id', '=', deliveryWorkflowId)
    .executeTakeFirst();
  if (!d) return [];
  const rows = await t.db
    .selectFrom('delivery_attempts')
    .select(['n', 'at'])
    .where('delivery_id', '=', d.id)
    .orderBy('n')
    .execute();
  return rows.map((r) => r.at.getTime());
}

test('deliveries waiting on timers go on as scheduled after Temporal restarts', async () => {
  const address = `127.0.0.1:${port}`;
  const { id: accountId } = await t.db
    .insertInto('accounts')
    .values({ name: 'restart' })
    .returning('id')
    .executeTakeFirstOrThrow();
  const { id: contactId } = await t.db
    .insertInto('contacts')
    .values({ account_id: accountId, email: 'wait@busy.test' })
    .returning('id')
    .executeTakeFirstOrThrow();
  const { id: mailingId } = await t.db
    .insertInto('mailings')
    .values({
      account_id: accountId,
      name: 'r',
      from_email: 'news@sender.example',
      subject: 'S',
      text_body: 'T',
      status: 'sending',
    })
    .returning('id')
    .executeTakeFirstOrThrow();

  const nativeConnection = await NativeConnection.connect({ address });
  const connection = await Connection.connect({ address });
  const client = new Client({ connection });
  const smtp = createSmtpSender({ relayUrl: lab.url, ehloHostname: 'test.localhost', timeoutMs: 2_000 });
  const taskQueue = 'drill-restart';
  const worker = await createWorker({
    connection: nativeConnection,
    namespace: 'default',
    taskQueue,
    db: t.db,
    smtp,
    mailDomain: 'test.localhost',
    temporal: client,
    workflowBundle: await workflowBundle(),
  });
  const running = worker.run();
  try {
    const handle = await startDelivery(
      client,
      { mailingId, contactId, email: 'wait@busy.test', retry: BOUNDS },
      { taskQueue },
    );
    await until(async () => (await attempts(handle.workflowId)).length >= 1, 'first attempt');

    // Down for a moment while the delivery waits for its second attempt, then up on the same file.
    await stopChild(server!);
    server = undefined;
    await new Promise((r) => setTimeout(r, 500));
    await startServer();

    await until(
      async () => (await attempts(handle.workflowId)).length >= 3,
      'two more attempts after the restart',
    );
    const at = await attempts(handle.workflowId);
    for (let i = 1; i < at.length; i++) {
      const gap = at[i]! - at[i - 1]!;
      expect(gap).toBeGreaterThanOrEqual(BOUNDS.minDelayMs - 50);
      // The wait spanning the restart may run late by the downtime and the reconnection, no more.
      expect(gap).toBeLessThan(BOUNDS.maxDelayMs + 15_000);
    }
    await handle.signal('giveUp');
    expect(await handle.result()).toMatchObject({ status: 'technical_problem' });
  } finally {
    worker.shutdown();
    await running;
    smtp.close();
    await connection.close();
    await nativeConnection.close();
  }
});
