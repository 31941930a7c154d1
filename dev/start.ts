/**
 * `npm start`: the whole service on one machine, on real servers, nothing to install by hand.
 * Starts (unless given from outside) embedded PostgreSQL, the Temporal dev server with its UI and
 * the bounce lab; runs migrations; then the worker and the API as child processes. Ctrl-C stops
 * every child in order: API, worker, Temporal, lab, PostgreSQL.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { loadConfigOrExit } from '../common/config';
import { ensureAccountWithKey, newApiKey } from '../db/accounts';
import { createDb, ensureDatabase, withDatabase } from '../db/connection';
import { startEmbeddedPostgres } from '../db/embedded';
import { migrateToLatest } from '../db/migrate';
import { type BounceLab, startBounceLab } from './bounce-lab';
import { WORKER_NODE_FLAGS } from '../worker/node-flags';
import { type Child, startScript, stopChild } from './processes';
import { locateTemporalBinary } from './temporal-binaries';
import { startDevServer } from './temporal-dev-server';

const cleanups: (() => Promise<void>)[] = [];
let stopping = false;

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  await fs.mkdir(config.DATA_DIR, { recursive: true });
  installSignalHandlers();

  let databaseUrl = config.DATABASE_URL;
  if (!databaseUrl) {
    console.log(`Starting embedded PostgreSQL (data in ${path.join(config.DATA_DIR, 'postgres')}) ...`);
    const pg = await startEmbeddedPostgres({
      dataDir: path.join(config.DATA_DIR, 'postgres'),
      port: config.EMBEDDED_POSTGRES_PORT,
      persistent: true,
    });
    cleanups.unshift(() => pg.stop());
    await ensureDatabase(pg.url, 'deliverability');
    databaseUrl = withDatabase(pg.url, 'deliverability');
  }
  const db = createDb(databaseUrl, { maxConnections: 2 });
  const ran = await migrateToLatest(db);
  console.log(ran.length ? `Migrations applied: ${ran.join(', ')}` : 'Database schema is up to date');
  const apiKey = config.API_KEY ?? newApiKey();
  await ensureAccountWithKey(db, 'dev', apiKey);
  await db.destroy();

  let temporalAddress = config.TEMPORAL_ADDRESS;
  const temporalGiven = Boolean(process.env.TEMPORAL_ADDRESS);
  if (!temporalGiven) {
    const cli = await locateTemporalBinary('cli', { log: (m) => console.log(m) });
    console.log(`Starting the Temporal dev server (${cli.path}) ...`);
    const port = Number(temporalAddress.split(':')[1]);
    const server = await startDevServer({
      cliPath: cli.path,
      dataDir: config.DATA_DIR,
      port,
      uiPort: config.TEMPORAL_UI_PORT,
      namespace: config.TEMPORAL_NAMESPACE,
    });
    cleanups.unshift(() => stopChild(server));
    watch(server);
    temporalAddress = `127.0.0.1:${port}`;
  }

  let smtpUrl = config.SMTP_URL;
  let lab: BounceLab | undefined;
  if (!smtpUrl) {
    lab = await startBounceLab({ port: config.LAB_PORT });
    cleanups.unshift(() => lab!.stop());
    smtpUrl = lab.url;
  }

  const env = {
    ...process.env,
    DATABASE_URL: databaseUrl,
    TEMPORAL_ADDRESS: temporalAddress,
    SMTP_URL: smtpUrl,
    TEMPORAL_UI_URL: temporalGiven ? config.TEMPORAL_UI_URL : `http://localhost:${config.TEMPORAL_UI_PORT}`,
  };
  const worker = startScript(
    'worker',
    path.join(__dirname, '..', 'worker', 'main.ts'),
    env,
    WORKER_NODE_FLAGS,
  );
  cleanups.unshift(() => stopChild(worker, 40_000));
  watch(worker);
  const api = startScript('api', path.join(__dirname, '..', 'api', 'main.ts'), env);
  cleanups.unshift(() => stopChild(api));
  watch(api);

  const apiUrl = `http://127.0.0.1:${config.PORT}`;
  await waitForHealth(`${apiUrl}/health`, 90_000);
  console.log(
    [
      '',
      'Deliverability service is running.',
      `  API           ${apiUrl}   (GET /health)`,
      `  Temporal UI   ${temporalGiven ? config.TEMPORAL_UI_URL : `http://localhost:${config.TEMPORAL_UI_PORT}`}`,
      `  Temporal      ${temporalAddress}   namespace "${config.TEMPORAL_NAMESPACE}"`,
      `  SMTP          ${lab ? `bounce lab on ${lab.url}` : 'relay from SMTP_URL'}`,
      `  Dev API key   ${apiKey}   (account "dev")`,
      '',
      'Press Ctrl-C to stop everything.',
    ].join('\n'),
  );
}

/** A child that dies on its own takes the whole service down: a half-running service misleads. */
function watch(child: Child): void {
  void child.exited.then((code) => {
    if (stopping) return;
    console.error(`[${child.name}] exited unexpectedly (${code}); stopping everything`);
    void shutdown(1);
  });
}

async function waitForHealth(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !stopping) {
    try {
      if ((await fetch(url)).status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  if (!stopping) throw new Error(`${url} did not answer 200 within ${timeoutMs / 1000} s`);
}

function installSignalHandlers(): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void shutdown(0));
}

async function shutdown(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log('Stopping ...');
  for (const cleanup of cleanups) {
    await cleanup().catch((err: unknown) => console.error(err));
  }
  process.exit(code);
}

main().catch(async (err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  await shutdown(1);
});
