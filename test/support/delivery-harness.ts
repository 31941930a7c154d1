/**
 * Everything a delivery test needs, all real: the time-skipping Temporal server, a migrated
 * PostgreSQL database, the bounce lab over SMTP, and a worker built like the production one.
 */
import { Client } from '@temporalio/client';
import type { WorkflowBundleOption } from '@temporalio/worker';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { createSmtpSender } from '../../activities/smtp';
import type { DeliveryInput } from '../../contract/delivery';
import { startDelivery } from '../../contract/starters';
import { type BounceLab, startBounceLab } from '../../dev/bounce-lab';
import { emailKey } from '../../domain/address';
import { ensureSendingDomain, FIXTURE_DKIM_KEY_SECRET } from '../../dev/fixture-domain';
import { SEED_FROM } from '../../dev/seed';
import { type BounceListener, startBounceListener } from '../../inbound/listener';
import { bundleWorkflows, createWorker } from '../../worker/worker';
import { createTestDatabase, type TestDatabase } from './database';
import { createTimeSkippingEnv } from './temporal';

/** The return path keys of test workers: their bounces come back to the test's own listener. */
/** The API base URL the test messages' unsubscribe links point at (the API harness does not know its port yet). */
export const TEST_PUBLIC_URL = 'https://api.test.localhost';
export const TEST_RETURN_PATH = { secret: 'the-return-path-secret-of-the-tests', domain: 'test.localhost' };

export type Harness = {
  env: TestWorkflowEnvironment;
  t: TestDatabase;
  lab: BounceLab;
  /** The late-bounce listener, when the harness was asked for late reports. */
  listener: BounceListener | undefined;
  taskQueue: string;
  accountId: string;
  newWorker(): ReturnType<typeof createWorker>;
  newMailing(): Promise<string>;
  /** A contact at `domain` with a fresh local part, member of two new groups. */
  newContact(domain: string): Promise<{ id: string; email: string; groupIds: string[] }>;
  start(
    mailingId: string,
    contact: { id: string; email: string },
    retry?: DeliveryInput['retry'],
  ): ReturnType<typeof startDelivery>;
  teardown(): Promise<void>;
};

let bundle: Promise<WorkflowBundleOption> | undefined;
/**
 * The workflow code for test workers: the file global setup built once for the whole run
 * (TEST_WORKFLOW_BUNDLE_PATH), or, when one test file runs without it, one bundle per file.
 */
export function workflowBundle(): Promise<WorkflowBundleOption> {
  const codePath = process.env.TEST_WORKFLOW_BUNDLE_PATH;
  bundle ??= codePath ? Promise.resolve({ codePath }) : bundleWorkflows();
  return bundle;
}

/** The feedback-loop address of test listeners. */
export const TEST_FEEDBACK_ADDRESS = 'fbl@test.localhost';

export async function createHarness(
  opts: { smtpTimeoutMs?: number; lateReports?: boolean } = {},
): Promise<Harness> {
  const [env, t, codeBundle] = await Promise.all([
    createTimeSkippingEnv(),
    createTestDatabase(),
    workflowBundle(),
  ]);
  const taskQueue = `deliveries-${randomBytes(4).toString('hex')}`;
  // With late reports: the listener first, so that the lab knows where to send them.
  const listener = opts.lateReports
    ? await startBounceListener(
        {
          client: env.client,
          taskQueue,
          keys: TEST_RETURN_PATH,
          feedbackAddress: TEST_FEEDBACK_ADDRESS,
          maxBytes: 1_000_000,
          maxConnections: 20,
        },
        { port: 0, host: '127.0.0.1' },
      )
    : undefined;
  const lab = await startBounceLab(
    listener
      ? { reportsTo: { url: listener.url, feedbackAddress: TEST_FEEDBACK_ADDRESS, delayMs: 200 } }
      : {},
  );
  const smtp = createSmtpSender({
    relayUrl: lab.url,
    ehloHostname: 'test.localhost',
    timeoutMs: opts.smtpTimeoutMs ?? 2_000,
  });
  const { id: accountId } = await t.db
    .insertInto('accounts')
    .values({ name: `acct-${taskQueue}` })
    .returning('id')
    .executeTakeFirstOrThrow();

  return {
    env,
    t,
    lab,
    listener,
    taskQueue,
    accountId,
    newWorker: () =>
      createWorker({
        connection: env.nativeConnection,
        namespace: env.namespace ?? 'default',
        taskQueue,
        db: t.db,
        smtp,
        dkimKeySecret: FIXTURE_DKIM_KEY_SECRET,
        returnPath: TEST_RETURN_PATH,
        publicUrl: TEST_PUBLIC_URL,
        // As in worker/main.ts: the fan-out's client shares the worker's native connection.
        temporal: new Client({ connection: env.nativeConnection, namespace: env.namespace ?? 'default' }),
        workflowBundle: codeBundle,
      }),
    async newMailing() {
      await ensureSendingDomain(t.db, accountId, 'sender.example');
      const { id } = await t.db
        .insertInto('mailings')
        .values({
          account_id: accountId,
          name: 'test',
          from_email: SEED_FROM,
          subject: 'Hello',
          text_body: 'Hi there',
          status: 'sending',
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      return id;
    },
    async newContact(domain) {
      const email = `c${randomBytes(5).toString('hex')}@${domain}`;
      const { id } = await t.db
        .insertInto('contacts')
        .values({ account_id: accountId, email, email_key: emailKey(email) })
        .returning('id')
        .executeTakeFirstOrThrow();
      const groupIds: string[] = [];
      for (const name of ['newsletter', 'customers']) {
        const g = await t.db
          .insertInto('groups')
          .values({ account_id: accountId, name })
          .returning('id')
          .executeTakeFirstOrThrow();
        await t.db.insertInto('group_members').values({ group_id: g.id, contact_id: id }).execute();
        groupIds.push(g.id);
      }
      return { id, email, groupIds };
    },
    start: (mailingId, contact, retry) =>
      startDelivery(
        env.client,
        { mailingId, contactId: contact.id, email: contact.email, ...(retry ? { retry } : {}) },
        { taskQueue },
      ),
    async teardown() {
      smtp.close();
      await listener?.stop();
      await Promise.allSettled([env.teardown(), lab.stop(), t.drop()]);
    },
  };
}

/** Saves a finished workflow's history for the replay test, when RECORD_HISTORIES=1. */
export async function maybeRecordHistory(
  name: string,
  handle: { fetchHistory(): Promise<unknown> },
): Promise<void> {
  if (process.env.RECORD_HISTORIES !== '1') return;
  const dir = path.join(__dirname, '..', 'histories');
  await fs.mkdir(dir, { recursive: true });
  await fs.writeFile(path.join(dir, `${name}.json`), JSON.stringify(await handle.fetchHistory()));
}
