/** Stops what global setup started and removes the run's temporary folder. */
import fs from 'node:fs/promises';
import { getGlobalState } from './state';

export default async function globalTeardown(): Promise<void> {
  const state = getGlobalState();
  if (!state) return;
  await state.stopPostgres?.();
  if (state.tmpDirBefore === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = state.tmpDirBefore;
  await fs.rm(state.runDir, { recursive: true, force: true });
}
