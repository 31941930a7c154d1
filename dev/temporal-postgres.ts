/**
 * `npm run temporal:postgres`: the production engine, runnable here, opt-in. A real Temporal server
 * (`go.temporal.io/server`, the version below) on PostgreSQL for persistence and visibility, the
 * topology of docker-compose.yml, for the bench and for checking the service on PostgreSQL visibility.
 * Never started by `npm start` or `npm test`.
 *
 * 1. builds the server and its `temporal-sql-tool` with `go build` (`go install` of the module at its
 *    version) into .cache/temporal-server/bin, with every Go cache under .cache/temporal-server
 *    (first run ~11 minutes and ~3 GB; then reused; `--rebuild` builds again);
 * 2. starts embedded PostgreSQL on its own data folder (.data/temporal-postgres/pg) and port;
 * 3. creates the `temporal` and `temporal_visibility` databases and brings their schemas to the
 *    latest version with the sql tool (the schemas embedded in it), and sets its
 *    `synchronous_commit` (`--synchronous-commit`, `on` unless asked);
 * 4. writes a config in the style of the server's config/development-postgres12.yaml and starts the
 *    server, its frontend on `--port` (a free port when not given);
 * 5. registers the namespace and the custom search attributes (contract/names.ts) with the Temporal CLI;
 * 6. prints TEMPORAL_ADDRESS and the bench command, and on Ctrl-C stops the server, then PostgreSQL.
 *
 *   npm run temporal:postgres -- [--port 7243] [--pg-port 5442] [--namespace default] [--shards 4]
 *                                [--synchronous-commit on|off] [--rebuild] [--log-level warn]
 *
 * It has no Web UI: ops use `npm run temporal -- workflow list --query …` with TEMPORAL_ADDRESS, or the
 * `temporalio/ui` image of docker-compose.yml pointed at the address.
 */
import { execFile, spawn } from 'node:child_process';
import { constants as fsConstants } from 'node:fs';
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Client } from 'pg';
import { searchAttributeDefinitions } from '../contract/names';
import { runMain } from '../runtime/run-main';
import { freePort } from './ports';
import { startPostgresProcess } from './postgres-process';
import { type Child, killNow, startBinary, stopChild, waitForPort } from './processes';
import { locateTemporalBinary, projectRoot } from './temporal-binaries';
import { withoutTemporalTls } from '../runtime/temporal-connection';

export const TEMPORAL_SERVER_MODULE = 'go.temporal.io/server';
export const TEMPORAL_SERVER_VERSION = 'v1.32.2';

const cacheDir = path.join(projectRoot, '.cache', 'temporal-server');
const binDir = path.join(cacheDir, 'bin');
const serverBin = path.join(binDir, 'server');
const sqlToolBin = path.join(binDir, 'sql');
const versionFile = path.join(binDir, 'VERSION');

/** Go's caches under .cache/temporal-server, so that nothing lands outside the checkout. */
function goEnv(): NodeJS.ProcessEnv {
  return {
    ...process.env,
    GOPATH: path.join(cacheDir, 'gopath'),
    GOMODCACHE: path.join(cacheDir, 'gopath', 'pkg', 'mod'),
    GOCACHE: path.join(cacheDir, 'gocache'),
    GOBIN: binDir,
    // The module asks for a newer Go than the machine's: let the go command fetch it from the proxy.
    GOTOOLCHAIN: process.env.GOTOOLCHAIN ?? 'auto',
    GOFLAGS: '-mod=mod',
  };
}

async function exists(file: string): Promise<boolean> {
  try {
    await fs.access(file, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Runs a command to its end, its output passed through with a prefix; rejects on a non-zero exit. */
function run(
  name: string,
  file: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
  quiet = false,
) {
  return new Promise<void>((resolve, reject) => {
    const child = spawn(file, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let tail = '';
    const onData = (chunk: Buffer) => {
      const text = chunk.toString();
      tail = (tail + text).slice(-2000);
      if (quiet) return;
      for (const line of text.split('\n')) if (line.trim()) console.log(`[${name}] ${line}`);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`${name} exited with ${code}:\n${tail}`)),
    );
  });
}

/** A command's standard output ('' when it fails). */
function capture(file: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve) => {
    execFile(file, args, { env }, (err, stdout) => resolve(err ? '' : stdout));
  });
}

async function goBinary(): Promise<string> {
  for (const candidate of ['/usr/local/go/bin/go', '/usr/bin/go']) {
    if (await exists(candidate)) return candidate;
  }
  return 'go';
}

/** Builds the server and the sql tool once (or again with `--rebuild`). */
async function buildServer(rebuild: boolean): Promise<void> {
  const built =
    (await exists(serverBin)) &&
    (await exists(sqlToolBin)) &&
    (await fs.readFile(versionFile, 'utf8').catch(() => '')).trim() === TEMPORAL_SERVER_VERSION;
  if (built && !rebuild) return;
  await fs.mkdir(binDir, { recursive: true });
  const started = Date.now();
  console.log(
    `Building ${TEMPORAL_SERVER_MODULE} ${TEMPORAL_SERVER_VERSION} (server and sql tool) into ${binDir}; ` +
      'the first build takes ~11 minutes and ~3 GB of Go caches under .cache/temporal-server ...',
  );
  await run(
    'go',
    await goBinary(),
    [
      'install',
      `${TEMPORAL_SERVER_MODULE}/cmd/server@${TEMPORAL_SERVER_VERSION}`,
      `${TEMPORAL_SERVER_MODULE}/cmd/tools/sql@${TEMPORAL_SERVER_VERSION}`,
    ],
    goEnv(),
  );
  await fs.writeFile(versionFile, `${TEMPORAL_SERVER_VERSION}\n`);
  console.log(`Built in ${Math.round((Date.now() - started) / 1000)} s.`);
}

const PG_USER = 'postgres';
const PG_PASSWORD = 'postgres';
const DATABASES = [
  { name: 'temporal', schema: 'postgresql/v12/temporal' },
  { name: 'temporal_visibility', schema: 'postgresql/v12/visibility' },
];

type SynchronousCommit = 'on' | 'off';
const isSynchronousCommit = (v: string): v is SynchronousCommit => v === 'on' || v === 'off';

/**
 * Creates the two databases when missing and updates their schemas to the latest version. Sets
 * `synchronous_commit` on every start (ALTER SYSTEM is kept in the data folder: a run with `off`
 * must not leave the next one without durable commits). `off` loses the last few hundred ms of
 * commits on a crash of the machine, never corrupts: a bench setting, not a production one.
 */
async function prepareDatabase(pgPort: number, synchronousCommit: SynchronousCommit): Promise<void> {
  const client = new Client({
    connectionString: `postgres://${PG_USER}:${PG_PASSWORD}@127.0.0.1:${pgPort}/postgres`,
  });
  await client.connect();
  const created: string[] = [];
  try {
    await client.query(`ALTER SYSTEM SET synchronous_commit = ${synchronousCommit}`);
    await client.query('SELECT pg_reload_conf()');
    for (const db of DATABASES) {
      const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [db.name]);
      if (found.rowCount === 0) {
        await client.query(`CREATE DATABASE ${db.name}`);
        created.push(db.name);
      }
    }
  } finally {
    await client.end();
  }
  const common = ['--plugin', 'postgres12', '--endpoint', '127.0.0.1', '--port', String(pgPort)];
  const auth = ['--user', PG_USER, '--password', PG_PASSWORD];
  for (const db of DATABASES) {
    const args = [...common, ...auth, '--database', db.name];
    // The versioning tables, once; then every versioned step up to the latest (a no-op when current).
    if (created.includes(db.name))
      await run('sql-tool', sqlToolBin, [...args, 'setup-schema', '-v', '0.0'], process.env, true);
    await run(
      'sql-tool',
      sqlToolBin,
      [...args, 'update-schema', '--schema-name', db.schema],
      process.env,
      true,
    );
  }
}

type Ports = {
  frontend: number;
  frontendHttp: number;
  frontendMembership: number;
  history: number;
  historyMembership: number;
  matching: number;
  matchingMembership: number;
  worker: number;
  workerMembership: number;
};

function serverConfig(o: {
  pgPort: number;
  ports: Ports;
  shards: number;
  logLevel: string;
  dynamicConfig: string;
}) {
  const store = (db: string, maxConns: number) => `
      sql:
        pluginName: "postgres12"
        databaseName: "${db}"
        connectAddr: "127.0.0.1:${o.pgPort}"
        connectProtocol: "tcp"
        user: "${PG_USER}"
        password: "${PG_PASSWORD}"
        maxConns: ${maxConns}
        maxIdleConns: ${maxConns}
        maxConnLifetime: "1h"`;
  const service = (grpc: number, membership: number, extra = '') => `
    rpc:
      grpcPort: ${grpc}
      membershipPort: ${membership}
      bindOnLocalHost: true${extra}`;
  const p = o.ports;
  return `# Written by dev/temporal-postgres.ts (after the server's config/development-postgres12.yaml).
log:
  stdout: true
  level: ${o.logLevel}

persistence:
  defaultStore: postgres-default
  visibilityStore: postgres-visibility
  numHistoryShards: ${o.shards}
  datastores:
    postgres-default:${store('temporal', 20)}
    postgres-visibility:${store('temporal_visibility', 10)}

global:
  membership:
    maxJoinDuration: 30s
    broadcastAddress: "127.0.0.1"

services:
  frontend:${service(p.frontend, p.frontendMembership, `\n      httpPort: ${p.frontendHttp}`)}
  matching:${service(p.matching, p.matchingMembership)}
  history:${service(p.history, p.historyMembership)}
  worker:${service(p.worker, p.workerMembership)}

clusterMetadata:
  enableGlobalNamespace: false
  failoverVersionIncrement: 10
  masterClusterName: "active"
  currentClusterName: "active"
  clusterInformation:
    active:
      enabled: true
      initialFailoverVersion: 1
      rpcName: "frontend"
      rpcAddress: "127.0.0.1:${p.frontend}"

dcRedirectionPolicy:
  policy: "noop"

dynamicConfigClient:
  filepath: "${o.dynamicConfig}"
  pollInterval: "10s"
`;
}

// As the dev server: IDs up to 255 characters, search attributes usable as soon as registered.
const DYNAMIC_CONFIG = `# Written by dev/temporal-postgres.ts.
limit.maxIDLength:
  - value: 255
    constraints: {}
system.forceSearchAttributesCacheRefreshOnRead:
  - value: true
    constraints: {}
`;

async function registerNamespace(cli: string, address: string, namespace: string): Promise<void> {
  // Its own server speaks plain gRPC: the CLI must not take TLS settings exported for another one.
  const env = {
    ...withoutTemporalTls(process.env),
    TEMPORAL_ADDRESS: address,
    TEMPORAL_NAMESPACE: namespace,
  };
  const described =
    (await capture(cli, ['operator', 'namespace', 'describe', '--namespace', namespace], env)) !== '';
  if (!described) {
    // Right after a restart `describe` can fail before the namespace cache is loaded; a create
    // that finds the namespace is as good.
    await run(
      'temporal',
      cli,
      ['operator', 'namespace', 'create', '--namespace', namespace, '--retention', '72h'],
      env,
      true,
    ).catch((err: unknown) => {
      if (!(err instanceof Error && /already exists/i.test(err.message))) throw err;
    });
  }
  const listed = await capture(
    cli,
    ['operator', 'search-attribute', 'list', '--namespace', namespace, '-o', 'json'],
    env,
  );
  for (const def of searchAttributeDefinitions()) {
    const [name, type] = def.split('=') as [string, string];
    if (listed.includes(`"${name}"`)) continue; // registered on an earlier start
    // One call per attribute: the CLI (1.9.1) takes `--name` more than once, but only the first
    // was registered. A new namespace reaches every service's cache within seconds: retry.
    const args = ['operator', 'search-attribute', 'create', '--namespace', namespace];
    const deadline = Date.now() + 60_000;
    for (;;) {
      try {
        await run('temporal', cli, [...args, '--name', name, '--type', type], env, true);
        console.log(`[temporal] search attribute ${name} (${type}) registered`);
        break;
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 2_000));
      }
    }
  }
  // Checked: a missing attribute would fail every delivery's first upsert.
  const registered = await capture(
    cli,
    ['operator', 'search-attribute', 'list', '--namespace', namespace, '-o', 'json'],
    env,
  );
  const missing = searchAttributeDefinitions()
    .map((def) => def.split('=')[0]!)
    .filter((name) => !registered.includes(`"${name}"`));
  if (missing.length > 0) throw new Error(`search attributes not registered: ${missing.join(', ')}`);
}

/**
 * A free port below 32768: the server records its membership ports in a PostgreSQL `smallint`
 * column (cluster_membership), and an ephemeral port (32768 and up) stops it at start.
 */
const taken = new Set<number>();
async function lowFreePort(): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (taken.has(port)) continue;
    const free = await new Promise<boolean>((resolve) => {
      const server = net.createServer();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
    if (free) {
      taken.add(port);
      return port;
    }
  }
  throw new Error('no free port found between 20000 and 32000');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      'pg-port': { type: 'string' },
      namespace: { type: 'string', default: process.env.TEMPORAL_NAMESPACE || 'default' },
      shards: { type: 'string', default: '4' },
      'synchronous-commit': { type: 'string', default: 'on' },
      'log-level': { type: 'string', default: 'warn' },
      rebuild: { type: 'boolean', default: false },
      'data-dir': { type: 'string', default: path.join(projectRoot, '.data', 'temporal-postgres') },
    },
  });
  const synchronousCommit = values['synchronous-commit'];
  if (!isSynchronousCommit(synchronousCommit))
    throw new Error(`--synchronous-commit must be on or off, not "${synchronousCommit}"`);
  const dataDir = path.resolve(values['data-dir']);
  const namespace = values.namespace;

  const cli = await locateTemporalBinary('cli', { log: (m) => console.log(m) });
  await buildServer(values.rebuild);

  const children: Child[] = [];
  let stopping = false;
  const stopAll = async () => {
    // The server first (it flushes to its database), then PostgreSQL.
    for (const child of [...children].reverse()) await stopChild(child, 20_000);
  };
  process.on('exit', () => children.forEach(killNow));
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      console.log(`Stopping (${signal}): the Temporal server, then PostgreSQL ...`);
      stopAll().then(
        () => process.exit(0),
        (err) => {
          console.error(err);
          process.exit(1);
        },
      );
    });
  }

  let server: Child | undefined;
  try {
    const pgPort = values['pg-port'] ? Number(values['pg-port']) : await freePort();
    await fs.mkdir(dataDir, { recursive: true });
    console.log(
      `Starting embedded PostgreSQL for Temporal on 127.0.0.1:${pgPort} (data in ${dataDir}/pg) ...`,
    );
    const pg = await startPostgresProcess(path.join(dataDir, 'pg'), pgPort);
    children.push(pg.child);

    await prepareDatabase(pgPort, synchronousCommit);

    const ports: Ports = {
      frontend: values.port ? Number(values.port) : await lowFreePort(),
      frontendHttp: await lowFreePort(),
      frontendMembership: await lowFreePort(),
      history: await lowFreePort(),
      historyMembership: await lowFreePort(),
      matching: await lowFreePort(),
      matchingMembership: await lowFreePort(),
      worker: await lowFreePort(),
      workerMembership: await lowFreePort(),
    };
    const configFile = path.join(dataDir, 'config.yaml');
    const dynamicConfig = path.join(dataDir, 'dynamicconfig.yaml');
    await fs.writeFile(dynamicConfig, DYNAMIC_CONFIG);
    await fs.writeFile(
      configFile,
      serverConfig({
        pgPort,
        ports,
        shards: Number(values.shards),
        logLevel: values['log-level'],
        dynamicConfig,
      }),
    );

    console.log(`Starting Temporal server ${TEMPORAL_SERVER_VERSION} (config ${configFile}) ...`);
    server = startBinary(
      'temporal-server',
      serverBin,
      ['--config-file', configFile, '--allow-no-auth', 'start'],
      process.env,
      undefined,
      {
        ownGroup: true,
      },
    );
    children.push(server);
    const failed = server.exited.then((code) => {
      throw new Error(`the Temporal server exited (${code}) before it was ready`);
    });
    failed.catch(() => undefined);
    await Promise.race([waitForPort('127.0.0.1', ports.frontend, 120_000, 'Temporal server'), failed]);

    const address = `127.0.0.1:${ports.frontend}`;
    await Promise.race([registerNamespace(cli.path, address, namespace), failed]);

    console.log(`
  Temporal ${TEMPORAL_SERVER_VERSION} on PostgreSQL is ready (persistence and visibility on 127.0.0.1:${pgPort}).

    export TEMPORAL_ADDRESS=${address} TEMPORAL_NAMESPACE=${namespace}

    Bench:  TEMPORAL_ADDRESS=${address} TEMPORAL_NAMESPACE=${namespace} npm run bench -- --temporal-db-port ${pgPort} --sizes 300 --stats-rows 0 --sleeping 0
    Ops:    TEMPORAL_ADDRESS=${address} TEMPORAL_NAMESPACE=${namespace} npm run temporal -- workflow list --query 'DeliveryStatus="in_progress"'
            (no Web UI here: or run docker-compose.yml's temporalio/ui with TEMPORAL_ADDRESS pointed at it)

  Ctrl-C stops the server, then PostgreSQL (the data stays in ${dataDir}).`);
  } catch (err) {
    // Nothing left behind: what was started stops, in order, before the error is shown.
    if (!stopping) {
      stopping = true;
      await stopAll();
    }
    throw err;
  }

  // Runs until a signal; a server that dies on its own takes PostgreSQL down with it.
  const code = await server.exited;
  if (!stopping) {
    console.error(`The Temporal server exited (${code}): stopping PostgreSQL.`);
    stopping = true;
    await stopAll();
    process.exit(1);
  }
}

if (require.main === module) runMain(main);
