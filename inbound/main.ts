/**
 * `npm run bounces`: the late-bounce listener alone (port 25 behind the MX of BOUNCE_DOMAIN in
 * production), handing what comes back to Temporal at TEMPORAL_ADDRESS.
 */
import { Client, Connection } from '@temporalio/client';
import { feedbackAddress, loadConfigOrExit, returnPathKeys } from '../runtime/config';
import { runMain } from '../runtime/run-main';
import { onShutdown } from '../runtime/shutdown';
import { temporalConnectionOptions } from '../runtime/temporal-connection';
import { startBounceListener } from './listener';

async function main(): Promise<void> {
  const config = loadConfigOrExit(['BOUNCE_SECRET']);
  // Lazy: the listener takes connections while Temporal comes up; until then it answers 451.
  const connection = Connection.lazy(temporalConnectionOptions(config));
  const client = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
  const listener = await startBounceListener(
    {
      client,
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      keys: returnPathKeys(config),
      feedbackAddress: feedbackAddress(config),
      maxBytes: config.BOUNCE_MAX_BYTES,
      maxConnections: config.BOUNCE_MAX_CONNECTIONS,
      log: (line) => console.log(line),
    },
    { port: config.BOUNCE_PORT, host: config.BOUNCE_HOST },
  );
  console.log(`Bounce listener on ${listener.url} (feedback loop: ${feedbackAddress(config)})`);
  // smtp-server gives open sessions 30 s (its closeTimeout) before it answers them 421: the process
  // must outlive that, or they are cut without the 421 that sends their senders back later.
  onShutdown(async () => {
    await listener.stop();
    await connection.close();
  }, 35_000);
}

runMain(main);
