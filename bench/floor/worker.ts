/**
 * The floor workflows' worker process, forked by the bench like the delivery workers: the same
 * Node flags, a prebuilt bundle, the same worker settings (WORKER_DEFAULTS). Env: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE,
 * TEMPORAL_TASK_QUEUE, SMTP_URL, FLOOR_BUNDLE_PATH.
 */
import { NativeConnection, Runtime, DefaultLogger, Worker } from '@temporalio/worker';
import { createSmtpSender } from '../../activities/smtp';
import { runMain } from '../../runtime/run-main';
import { loadConfig } from '../../runtime/config';
import { temporalConnectionOptions } from '../../runtime/temporal-connection';
import { WORKER_DEFAULTS } from '../../worker/tuning';
import { createFloorActivities } from './activities';

async function main(): Promise<void> {
  const env = (name: string) => {
    const value = process.env[name];
    if (!value) throw new Error(`${name} is not set`);
    return value;
  };
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const smtp = createSmtpSender({ relayUrl: env('SMTP_URL'), ehloHostname: 'bench.localhost' });
  env('TEMPORAL_ADDRESS'); // required here: the configuration would default it to localhost
  // An external server's TLS settings, as the delivery workers read them.
  const connection = await NativeConnection.connect(temporalConnectionOptions(loadConfig()));
  const worker = await Worker.create({
    connection,
    namespace: process.env.TEMPORAL_NAMESPACE ?? 'default',
    taskQueue: env('TEMPORAL_TASK_QUEUE'),
    workflowBundle: { codePath: env('FLOOR_BUNDLE_PATH') },
    activities: createFloorActivities(smtp),
    ...WORKER_DEFAULTS,
  });
  const stop = () => worker.shutdown();
  if (process.send) process.once('disconnect', stop);
  await worker.run();
  process.off('disconnect', stop);
  smtp.close();
  await connection.close();
  if (process.connected) process.disconnect();
}

runMain(main);
