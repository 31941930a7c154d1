/**
 * Once per run of the projects that need servers (workflow, integration, drills; `unit` has no
 * global setup): a temporary folder for the run, a real PostgreSQL (DATABASE_URL, or embedded),
 * the paths of the real Temporal binaries, and the workflow bundle built once. They reach the test
 * files through the environment, which Jest's workers inherit.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startEmbeddedPostgres } from '../../db/embedded';
import { locateTemporalBinary } from '../../dev/temporal-binaries';
import { writeWorkflowBundle } from '../../worker/worker';
import { freePort } from '../../dev/ports';
import { getGlobalState, setGlobalState } from './state';
import globalTeardown from './global-teardown';

export default async function globalSetup(): Promise<void> {
  const runDir = await fs.mkdtemp(path.join(os.tmpdir(), 'deliverability-test-'));
  setGlobalState({ runDir, tmpDirBefore: process.env.TMPDIR });
  // What tests make under os.tmpdir() (bundles, drill servers' data) lands in the run's folder,
  // which global teardown removes whole: a run leaves nothing behind in /tmp.
  process.env.TMPDIR = runDir;
  const steps = await Promise.allSettled([locateBinaries(), startPostgres(runDir), buildBundle(runDir)]);
  const failed = steps.find((s) => s.status === 'rejected');
  if (failed) {
    // Jest runs no teardown after a failed setup: stop what did start.
    await globalTeardown();
    throw failed.reason;
  }
}

async function locateBinaries(): Promise<void> {
  const testServer = await locateTemporalBinary('testServer', { log: (m) => console.log(m) }).catch(
    (err: Error) => {
      // Last resort, as the SDK would do on its own: its cached download (needs internet).
      console.warn(`${err.message}\nFalling back to the SDK's cached download of the test server.`);
      return undefined;
    },
  );
  if (testServer) process.env.TEMPORAL_TEST_SERVER_PATH = testServer.path;
  // The Temporal CLI's dev server, for the drill that restarts Temporal under waiting deliveries.
  const cli = await locateTemporalBinary('cli', { log: (m) => console.log(m) });
  process.env.TEMPORAL_CLI_PATH = cli.path;
}

async function startPostgres(runDir: string): Promise<void> {
  if (process.env.DATABASE_URL) {
    process.env.TEST_DATABASE_SERVER_URL = process.env.DATABASE_URL;
    return;
  }
  const dataDir = path.join(runDir, 'pg');
  const pg = await startEmbeddedPostgres({ dataDir, port: await freePort(), persistent: false });
  process.env.TEST_DATABASE_SERVER_URL = pg.url;
  getGlobalState()!.stopPostgres = () => pg.stop();
}

/** One webpack run for every test worker (delivery-harness.ts `workflowBundle()` loads the file). */
async function buildBundle(runDir: string): Promise<void> {
  const file = path.join(runDir, 'workflow-bundle.js');
  await writeWorkflowBundle(file);
  process.env.TEST_WORKFLOW_BUNDLE_PATH = file;
}
