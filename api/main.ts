/** `npm run api`: the HTTP API alone, against TEMPORAL_ADDRESS and DATABASE_URL. */
import { Connection } from '@temporalio/client';
import { loadConfigOrExit } from '../runtime/config';
import { onShutdown } from '../runtime/shutdown';
import { createDb } from '../db/connection';
import { rateLimitsFromConfig } from './rate-limit';
import { startApi } from './server';
import { runMain } from '../runtime/run-main';
import { temporalConnectionOptions } from '../runtime/temporal-connection';

async function main(): Promise<void> {
  const config = loadConfigOrExit(['DATABASE_URL', 'DKIM_ENCRYPTION_KEY']);
  const db = createDb(config.DATABASE_URL!);
  // Lazy: the API starts (and /health says 503) even while Temporal is still coming up.
  const temporal = Connection.lazy(temporalConnectionOptions(config));
  const api = await startApi(
    {
      db,
      temporal,
      namespace: config.TEMPORAL_NAMESPACE,
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      temporalUiUrl: config.TEMPORAL_UI_URL,
      rateLimits: rateLimitsFromConfig(config),
      // Signs the one-click unsubscribe tokens of the worker's messages: the worker's BOUNCE_SECRET.
      ...(config.BOUNCE_SECRET && { unsubscribeSecret: config.BOUNCE_SECRET }),
      // Seals the DKIM keys of new sending domains: the worker's DKIM_ENCRYPTION_KEY, which opens them.
      dkimKeySecret: config.DKIM_ENCRYPTION_KEY,
      dnsServer: config.DNS_SERVER,
      mailHost: config.EHLO_HOSTNAME,
      trustProxy: config.TRUST_PROXY,
    },
    config.PORT,
    config.HOST,
  );
  console.log(`API listening on ${api.url}`);
  if (!config.BOUNCE_SECRET)
    console.warn('BOUNCE_SECRET is not set: one-click unsubscribe links (/u/<token>) answer 404.');
  onShutdown(async () => {
    await api.stop();
    await temporal.close();
    await db.destroy();
  });
}

runMain(main);
