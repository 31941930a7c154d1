/**
 * `npm start`: the whole service on one machine, on real servers, nothing to install by hand.
 * Starts (unless given from outside) embedded PostgreSQL and runs migrations; then a DNS server
 * publishing the dev account's sending domain (example.com, verified), the Temporal dev server with
 * its UI and the bounce lab; then the worker, the late-bounce listener and the API as child
 * processes, and once the worker and the API are ready prints a banner with the URLs and the dev API
 * key. Ctrl-C stops every child in order: API, listener, worker (fully exited first), lab, Temporal,
 * the DNS server, PostgreSQL; then "All stopped."
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { feedbackAddress, loadConfigOrExit } from '../runtime/config';
import { ensureAccountWithKey } from '../db/accounts';
import { createDb, ensureDatabase, withDatabase } from '../db/connection';
import { migrateToLatest } from '../db/migrate';
import { resolverFor } from '../runtime/dns';
import { type BounceLab, startBounceLab } from './bounce-lab';
import { DEV_SENDING_DOMAIN, ensureDevDomain } from './dev-domain';
import { type DnsServer, startDnsServer } from './dns-server';
import { WORKER_ENV, WORKER_NODE_FLAGS } from '../worker/node-flags';
import { DEV_API_KEY_FILE, devApiKey, keptSecret } from './dev-api-key';
import { startPostgresProcess } from './postgres-process';
import { type Child, killNow, startScript, stopChild } from './processes';
import { locateTemporalBinary } from './temporal-binaries';
import { startDevServer } from './temporal-dev-server';
import {
  describeTemporal,
  isTemporalTlsSetting,
  type TemporalConnectionOptions,
  temporalConnectionOptions,
  withoutTemporalTls,
} from '../runtime/temporal-connection';

/** What to stop, in the order to stop it: the last started first. */
const cleanups: { what: string; stop: () => Promise<void> }[] = [];
let stopping = false;
/**
 * The children run in their own process groups (a terminal's Ctrl-C reaches only this process, which
 * stops them in order); should this process end without stopping them, they are killed on the way out.
 */
const children: Child[] = [];
process.on('exit', () => children.forEach(killNow));

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  await fs.mkdir(config.DATA_DIR, { recursive: true });
  installSignalHandlers();

  let databaseUrl = config.DATABASE_URL;
  if (!databaseUrl) {
    console.log(`Starting embedded PostgreSQL (data in ${path.join(config.DATA_DIR, 'postgres')}) ...`);
    const pg = await startPostgresProcess(
      path.join(config.DATA_DIR, 'postgres'),
      config.EMBEDDED_POSTGRES_PORT,
    );
    children.push(pg.child);
    cleanups.unshift({ what: 'PostgreSQL', stop: pg.stop });
    watch(pg.child);
    await ensureDatabase(pg.url, 'deliverability');
    databaseUrl = withDatabase(pg.url, 'deliverability');
  }
  const db = createDb(databaseUrl, { maxConnections: 2 });
  const ran = await migrateToLatest(db);
  console.log(ran.length ? `Migrations applied: ${ran.join(', ')}` : 'Database schema is up to date');
  const apiKey = await devApiKey(config.DATA_DIR, config.API_KEY);
  const devAccountId = await ensureAccountWithKey(db, 'dev', apiKey.key);

  // Seals the DKIM keys of sending domains: kept across restarts, or the keys would no longer open.
  const dkimKeySecret =
    config.DKIM_ENCRYPTION_KEY ??
    (await keptSecret(config.DATA_DIR, 'dkim-encryption-key', () => randomBytes(32).toString('base64url')))
      .value;
  // A DNS server of our own (unless DNS_SERVER names one) publishes the dev account's sending domain;
  // the API verifies domains and the worker finds MX hosts through it.
  let dns: DnsServer | undefined;
  if (!config.DNS_SERVER) {
    dns = await startDnsServer();
    cleanups.unshift({ what: 'the DNS server', stop: () => dns!.stop() });
  }
  const dnsServer = config.DNS_SERVER ?? dns!.server;
  const devDomainVerified = await ensureDevDomain(db, devAccountId, {
    domain: DEV_SENDING_DOMAIN,
    keySecret: dkimKeySecret,
    resolver: resolverFor(dnsServer, { timeoutMs: 3_000 }),
    dns,
    spfHost: config.EHLO_HOSTNAME,
  });
  await db.destroy();

  let temporalAddress = config.TEMPORAL_ADDRESS;
  const temporalGiven = Boolean(process.env.TEMPORAL_ADDRESS);
  // A given server gets the TLS settings; npm start's own dev server speaks plain gRPC on 127.0.0.1,
  // and its children must not try TLS on it because the shell had them set for another server.
  let temporal: TemporalConnectionOptions = temporalGiven
    ? temporalConnectionOptions(config)
    : { address: temporalAddress };
  const dropped = Object.keys(process.env).filter((k) => process.env[k] && isTemporalTlsSetting(k));
  if (!temporalGiven && dropped.length)
    console.warn(
      `${dropped.join(', ')}: not used: npm start runs its own Temporal dev server (no TEMPORAL_ADDRESS given)`,
    );
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
      ownGroup: true,
      // The CLI asks its own frontend for its system info before that is up and logs the refusal as an
      // error: that one line is noise; every other error line is shown.
      log: (line) => void (line.includes('Frontend is not healthy yet') || console.log(line)),
    });
    children.push(server);
    cleanups.unshift({ what: 'Temporal', stop: () => stopChild(server) });
    watch(server);
    temporalAddress = `127.0.0.1:${port}`;
    temporal = { address: temporalAddress };
  }

  const bounceListenerUrl = `smtp://${config.BOUNCE_HOST}:${config.BOUNCE_PORT}`;
  let smtpUrl = config.SMTP_URL;
  let lab: BounceLab | undefined;
  if (!smtpUrl) {
    // The lab also plays the receiving servers that accept first and report later (latehard.test,
    // latefull.test, complain.test): their reports go to the late-bounce listener started below.
    lab = await startBounceLab({
      port: config.LAB_PORT,
      reportsTo: { url: bounceListenerUrl, feedbackAddress: feedbackAddress(config) },
    });
    cleanups.unshift({ what: 'the bounce lab', stop: () => lab!.stop() });
    smtpUrl = lab.url;
  }

  // Signs every message's return path: kept across restarts, so that late bounces of messages sent
  // before a restart still name their delivery.
  const bounceSecret =
    config.BOUNCE_SECRET ??
    (await keptSecret(config.DATA_DIR, 'bounce-secret', () => randomBytes(32).toString('base64url'))).value;
  const env = {
    ...(temporalGiven ? process.env : withoutTemporalTls(process.env)),
    BOUNCE_SECRET: bounceSecret,
    DKIM_ENCRYPTION_KEY: dkimKeySecret,
    DNS_SERVER: dnsServer,
    DATABASE_URL: databaseUrl,
    TEMPORAL_ADDRESS: temporalAddress,
    SMTP_URL: smtpUrl,
    TEMPORAL_UI_URL: temporalGiven ? config.TEMPORAL_UI_URL : `http://localhost:${config.TEMPORAL_UI_PORT}`,
  };
  const worker = startScript(
    'worker',
    path.join(__dirname, '..', 'worker', 'main.ts'),
    { ...WORKER_ENV, ...env },
    WORKER_NODE_FLAGS,
    { ownGroup: true },
  );
  children.push(worker);
  // The worker lets the sends in flight finish (up to 30 s) and has exited before Temporal is stopped.
  cleanups.unshift({
    what: 'the worker (sends in flight finish first, up to 30 s)',
    stop: () => stopChild(worker, 40_000),
  });
  watch(worker);
  const bounces = startScript('bounces', path.join(__dirname, '..', 'inbound', 'main.ts'), env, [], {
    ownGroup: true,
  });
  children.push(bounces);
  // Open SMTP sessions get smtp-server's 30 s before their 421 (inbound/main.ts exits by 35 s).
  cleanups.unshift({ what: 'the late-bounce listener', stop: () => stopChild(bounces, 40_000) });
  watch(bounces);
  const api = startScript('api', path.join(__dirname, '..', 'api', 'main.ts'), env, [], { ownGroup: true });
  children.push(api);
  cleanups.unshift({ what: 'the API', stop: () => stopChild(api) });
  watch(api);

  const apiUrl = `http://127.0.0.1:${config.PORT}`;
  await Promise.all([
    waitForHealth(`${apiUrl}/health`, 90_000),
    waitForWorker(temporal, config.TEMPORAL_NAMESPACE, config.TEMPORAL_TASK_QUEUE, worker, 90_000),
  ]);
  if (stopping) return;
  // The worker's and the API's start-up lines are out by now: the banner comes last, where it is seen.
  await new Promise((r) => setTimeout(r, 300));
  const webApp = await answers(`${apiUrl}/`);
  const keyNote =
    apiKey.source === 'API_KEY'
      ? 'from API_KEY'
      : `kept in ${path.relative(process.cwd(), path.join(config.DATA_DIR, DEV_API_KEY_FILE))}`;
  printBanner('Deliverability service is running', [
    ...(webApp ? [`Web app       ${apiUrl}/`] : []),
    `API           ${apiUrl}   (GET /health, GET /v1/openapi.json)`,
    `Dev API key   ${apiKey.key}`,
    `              account "dev", the same on every start (${keyNote})`,
    devDomainVerified
      ? `Sending from  ${DEV_SENDING_DOMAIN} (verified, DKIM-signed): use news@${DEV_SENDING_DOMAIN} as fromEmail`
      : `Sending from  ${DEV_SENDING_DOMAIN} is NOT verified in DNS_SERVER ${dnsServer}: see GET /v1/sending-domains`,
    `DNS           ${dns ? `local DNS server on ${dnsServer}` : `DNS_SERVER ${dnsServer}`}`,
    `Temporal UI   ${env.TEMPORAL_UI_URL}`,
    `Temporal      ${describeTemporal(temporal)}, namespace "${config.TEMPORAL_NAMESPACE}"   (npm run temporal -- …)`,
    `SMTP          ${lab ? `bounce lab on ${lab.url}` : 'relay from SMTP_URL'}`,
    `Bounces       ${bounceListenerUrl}   (late bounces; complaints to ${feedbackAddress(config)})`,
    '',
    'Ctrl-C stops everything.',
  ]);
}

/** A framed block, its title in bold when the output is a terminal: the one thing to read. */
function printBanner(title: string, lines: string[]): void {
  const width = Math.max(title.length, ...lines.map((l) => l.length)) + 2;
  const row = (text: string, style = (t: string) => t) =>
    `│ ${style(text)}${' '.repeat(width - text.length - 1)}│`;
  const bold = (t: string) => (process.stdout.isTTY ? `\x1b[1;32m${t}\x1b[0m` : t);
  console.log(
    [
      '',
      `╭${'─'.repeat(width)}╮`,
      row(title, bold),
      row(''),
      ...lines.map((l) => row(l)),
      `╰${'─'.repeat(width)}╯`,
      '',
    ].join('\n'),
  );
}

/** True when the URL answers 2xx (the API serves a web app at `/` once there is one). */
async function answers(url: string): Promise<boolean> {
  try {
    return (await fetch(url)).ok;
  } catch {
    return false;
  }
}

/**
 * Waits until this worker process polls its task queue: Temporal lists it among the queue's pollers
 * (by the SDK's default identity, `<pid>@<host>`), so a poller left from an earlier run does not count.
 */
async function waitForWorker(
  temporal: TemporalConnectionOptions,
  namespace: string,
  taskQueue: string,
  worker: Child,
  timeoutMs: number,
): Promise<void> {
  const identity = `${worker.process.pid}@${os.hostname()}`;
  const connection = await Connection.connect(temporal);
  try {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline && !stopping) {
      const { pollers } = await connection.workflowService.describeTaskQueue({
        namespace,
        taskQueue: { name: taskQueue },
      });
      if (pollers.some((p) => p.identity === identity)) return;
      await new Promise((r) => setTimeout(r, 500));
    }
  } finally {
    await connection.close();
  }
  if (!stopping)
    throw new Error(`the worker did not poll task queue "${taskQueue}" within ${timeoutMs / 1000} s`);
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
  // SIGHUP: the terminal was closed; stop in order all the same.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void shutdown(0));
}

async function shutdown(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log('Stopping ...');
  for (const { what, stop } of cleanups) {
    console.log(`Stopping ${what} ...`);
    await stop().catch((err: unknown) => console.error(err));
  }
  console.log(code === 0 ? 'All stopped.' : 'All stopped (after an error: see above).');
  process.exit(code);
}

main().catch(async (err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  await shutdown(1);
});
