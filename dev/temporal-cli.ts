/**
 * `npm run temporal -- <args>`: the Temporal CLI that `npm start` installed into .cache/, run from the
 * repository with no global install, e.g.
 *
 *   npm run temporal -- workflow signal --workflow-id delivery-1-2 --name retryNow
 *
 * The CLI reads TEMPORAL_ADDRESS and TEMPORAL_NAMESPACE itself (localhost:7233 and `default` when
 * unset, which is where `npm start` runs its dev server); as in the service's config, an empty
 * variable counts as unset.
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { runMain } from '../runtime/run-main';
import { locateTemporalBinary } from './temporal-binaries';

async function main(): Promise<void> {
  // Install messages go to stderr: stdout is the CLI's own answer (`-o json` output stays parseable).
  const cli = await locateTemporalBinary('cli', { log: (m) => console.error(m) });
  const env = { ...process.env };
  for (const name of ['TEMPORAL_ADDRESS', 'TEMPORAL_NAMESPACE']) if (env[name] === '') delete env[name];

  const child = spawn(cli.path, process.argv.slice(2), { env, stdio: 'inherit' });
  // Ctrl-C reaches the CLI directly (same terminal); a signal sent to this process alone is passed on.
  // Either way this process waits for the CLI and exits with its code.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (child.exitCode === null) child.kill(signal);
    });
  }
  const code = await new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (exitCode, signal) =>
      resolve(exitCode ?? 128 + (signal ? constants.signals[signal] : 0)),
    );
  });
  process.exit(code);
}

runMain(main);
