/** The Temporal CLI's dev server with its Web UI, as `npm start` runs it. */
import path from 'node:path';
import { searchAttributeDefinitions } from '../contract/names';
import { type Child, startBinary, waitForPort } from './processes';

export type DevServerOptions = {
  cliPath: string;
  dataDir: string;
  port: number;
  uiPort: number;
  namespace: string;
  /** `--sqlite-pragma` values; the defaults are what the benchmark measured best (docs/performance.md). */
  sqlitePragmas?: string[];
  /** Where the server's output lines go (the console unless given; drills and the bench drop them). */
  log?: (line: string) => void;
  /** Its own process group, out of reach of a terminal's Ctrl-C (`npm start` stops it last). */
  ownGroup?: boolean;
};

/**
 * WAL lets readers (the UI, visibility queries) run beside the writer; `synchronous=normal` in WAL mode
 * can lose the last transactions on a power cut, never corrupt the file: fine for a dev server.
 */
export const DEFAULT_SQLITE_PRAGMAS = ['journal_mode=wal', 'synchronous=normal'];

export function devServerArgs(o: DevServerOptions): string[] {
  return [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(o.port),
    '--ui-port',
    String(o.uiPort),
    // A file, not memory: deliveries sleeping on 3–4 h timers survive a restart of `npm start`.
    '--db-filename',
    path.join(o.dataDir, 'temporal.db'),
    '--namespace',
    o.namespace,
    // Errors only: at `warn` (the CLI's default for start-dev) the server logs a line for every UI
    // page view and a burst of dial errors while it stops itself.
    '--log-level',
    'error',
    ...searchAttributeDefinitions().flatMap((def) => ['--search-attribute', def]),
    ...(o.sqlitePragmas ?? DEFAULT_SQLITE_PRAGMAS).flatMap((p) => ['--sqlite-pragma', p]),
  ];
}

export async function startDevServer(o: DevServerOptions): Promise<Child> {
  const child = startBinary('temporal', o.cliPath, devServerArgs(o), process.env, o.log, {
    ownGroup: o.ownGroup ?? false,
  });
  const failed = child.exited.then((code) => {
    throw new Error(`the Temporal dev server exited (${code}) before it was ready`);
  });
  await Promise.race([waitForPort('127.0.0.1', o.port, 60_000, 'Temporal dev server'), failed]);
  await Promise.race([waitForPort('127.0.0.1', o.uiPort, 30_000, 'Temporal UI'), failed]);
  failed.catch(() => undefined);
  return child;
}
