/** `npm run worker`: a worker process against TEMPORAL_ADDRESS, DATABASE_URL and SMTP_URL (or direct MX). */
import { Client } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { createSmtpSender } from '../activities/smtp';
import fs from 'node:fs';
import { ConfigError, loadConfigOrExit, publicUrl, redactUrl, returnPathKeys } from '../runtime/config';
import { createDb } from '../db/connection';
import { pollerBehavior } from './tuning';
import { createWorker } from './worker';
import { runMain } from '../runtime/run-main';
import { describeTemporal, temporalConnectionOptions } from '../runtime/temporal-connection';

async function main(): Promise<void> {
  const config = loadConfigOrExit(['DATABASE_URL', 'BOUNCE_SECRET', 'DKIM_ENCRYPTION_KEY']);
  const level = config.LOG_LEVEL.toUpperCase() as 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  Runtime.install({
    logger: new DefaultLogger(level),
    telemetryOptions: { logging: { filter: { core: level, other: level }, forward: {} } },
  });
  if (config.WORKFLOW_BUNDLE_PATH && !fs.existsSync(config.WORKFLOW_BUNDLE_PATH)) {
    throw new ConfigError([
      `WORKFLOW_BUNDLE_PATH: no file at ${config.WORKFLOW_BUNDLE_PATH} (build it with npm run build:workflows)`,
    ]);
  }
  const db = createDb(config.DATABASE_URL!);
  const smtp = createSmtpSender({
    relayUrl: config.SMTP_URL,
    ehloHostname: config.EHLO_HOSTNAME,
    ...(config.DNS_SERVER && { dnsServer: config.DNS_SERVER }),
    ...(config.SMTP_TIMEOUT_MS !== undefined && { timeoutMs: config.SMTP_TIMEOUT_MS }),
    allowPrivateMx: ['true', '1'].includes(config.DIRECT_MX_ALLOW_PRIVATE ?? ''),
  });
  const temporalOptions = temporalConnectionOptions(config);
  const connection = await NativeConnection.connect(temporalOptions);
  // The mailing fan-out starts delivery workflows from an activity: its client shares the worker's
  // native connection (the SDK's Rust core), not a second one through @grpc/grpc-js, whose HTTP/2
  // framing, interceptors and retries would run on the worker's main thread for every start.
  const temporal = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
  const worker = await createWorker({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    db,
    smtp,
    dkimKeySecret: config.DKIM_ENCRYPTION_KEY!,
    returnPath: returnPathKeys(config),
    publicUrl: publicUrl(config),
    temporal,
    ...(config.WORKFLOW_BUNDLE_PATH && { workflowBundle: { codePath: config.WORKFLOW_BUNDLE_PATH } }),
    tuning: {
      ...(config.WORKER_MAX_CONCURRENT_ACTIVITIES && {
        maxConcurrentActivityTaskExecutions: config.WORKER_MAX_CONCURRENT_ACTIVITIES,
      }),
      ...(config.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS && {
        maxConcurrentWorkflowTaskExecutions: config.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS,
      }),
      ...(config.WORKER_MAX_CACHED_WORKFLOWS !== undefined && {
        maxCachedWorkflows: config.WORKER_MAX_CACHED_WORKFLOWS,
      }),
      ...(config.WORKER_WORKFLOW_TASK_POLLERS && {
        workflowTaskPollerBehavior: pollerBehavior(config.WORKER_WORKFLOW_TASK_POLLERS),
      }),
      ...(config.WORKER_ACTIVITY_TASK_POLLERS && {
        activityTaskPollerBehavior: pollerBehavior(config.WORKER_ACTIVITY_TASK_POLLERS),
      }),
    },
  });
  // The SDK stops the worker on SIGINT/SIGTERM; a launcher that goes away must stop it too.
  const onLauncherGone = () => worker.shutdown();
  if (process.send) process.once('disconnect', onLauncherGone);
  console.log(
    `Worker polling task queue "${config.TEMPORAL_TASK_QUEUE}" on ${describeTemporal(temporalOptions)}` +
      (config.SMTP_URL ? ` (relay ${redactUrl(config.SMTP_URL)})` : ' (direct to MX)'),
  );
  await worker.run();
  smtp.close();
  await connection.close();
  await db.destroy();
  // A forked worker (npm start, the drills, the bench) has an IPC channel to its launcher, which
  // alone would keep the process alive once everything else is closed.
  process.off('disconnect', onLauncherGone);
  if (process.connected) process.disconnect();
}

runMain(main);
