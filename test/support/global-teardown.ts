import fs from 'node:fs/promises';
import { getGlobalState } from './state';

export default async function globalTeardown(): Promise<void> {
  const state = getGlobalState();
  await state?.stopPostgres();
  if (state?.dataDir) await fs.rm(state.dataDir, { recursive: true, force: true });
}
