/**
 * Once per `npm test`: a real PostgreSQL (DATABASE_URL, or embedded in a throw-away folder) and the
 * path of the real time-skipping test server. Both reach the test files through the environment,
 * which Jest's workers inherit.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startEmbeddedPostgres } from '../../db/embedded';
import { locateTemporalBinary } from '../../dev/temporal-binaries';
import { freePort } from './ports';
import { setGlobalState } from './state';

export default async function globalSetup(): Promise<void> {
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

  if (process.env.DATABASE_URL) {
    process.env.TEST_DATABASE_SERVER_URL = process.env.DATABASE_URL;
    return;
  }
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'deliverability-test-pg-'));
  const pg = await startEmbeddedPostgres({ dataDir, port: await freePort(), persistent: false });
  process.env.TEST_DATABASE_SERVER_URL = pg.url;
  setGlobalState({ stopPostgres: () => pg.stop(), dataDir });
}
