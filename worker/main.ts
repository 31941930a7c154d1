/** `npm run worker`: a worker process against TEMPORAL_ADDRESS, DATABASE_URL and SMTP_URL (or direct MX). */
import { NativeConnection } from '@temporalio/worker';
import { createSmtpSender } from '../activities/smtp';
import { loadConfigOrExit } from '../common/config';
import { createDb } from '../db/connection';
import { createWorker } from './worker';

async function main(): Promise<void> {
  const config = loadConfigOrExit(['DATABASE_URL']);
  const db = createDb(config.DATABASE_URL!);
  const smtp = createSmtpSender({
    relayUrl: config.SMTP_URL,
    ehloHostname: config.EHLO_HOSTNAME,
    timeoutMs: config.SMTP_TIMEOUT_MS,
  });
  const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  const worker = await createWorker({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    db,
    smtp,
    mailDomain: config.EHLO_HOSTNAME,
  });
  // The SDK stops the worker on SIGINT/SIGTERM; a launcher that goes away must stop it too.
  if (process.send) process.once('disconnect', () => worker.shutdown());
  console.log(
    `Worker polling task queue "${config.TEMPORAL_TASK_QUEUE}" on ${config.TEMPORAL_ADDRESS}` +
      (config.SMTP_URL ? ` (relay ${redact(config.SMTP_URL)})` : ' (direct to MX)'),
  );
  await worker.run();
  smtp.close();
  await connection.close();
  await db.destroy();
}

/** Never print a relay password. */
function redact(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
