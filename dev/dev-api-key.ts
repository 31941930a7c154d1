/**
 * The key of the `dev` account that `npm start` creates: API_KEY when set, otherwise one key generated
 * on the first start and kept in DATA_DIR/dev-api-key (readable by its owner only), so that the key a
 * newcomer copied keeps working across restarts and no new key is added on every start.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { newApiKey } from '../db/accounts';

export const DEV_API_KEY_FILE = 'dev-api-key';

export type DevApiKey = { key: string; source: 'API_KEY' | 'file' | 'new' };

export async function devApiKey(dataDir: string, given: string | undefined): Promise<DevApiKey> {
  if (given) return { key: given, source: 'API_KEY' };
  const kept = await keptSecret(dataDir, DEV_API_KEY_FILE, newApiKey);
  return { key: kept.value, source: kept.created ? 'new' : 'file' };
}

/**
 * A secret of `npm start` (the dev key, the return-path secret) kept in DATA_DIR, readable by its
 * owner only: made on the first start, the same on every later one.
 */
export async function keptSecret(
  dataDir: string,
  fileName: string,
  generate: () => string,
): Promise<{ value: string; created: boolean }> {
  const file = path.join(dataDir, fileName);
  const kept = await fs.readFile(file, 'utf8').then(
    (text) => text.trim(),
    (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return '';
      throw err;
    },
  );
  if (kept.length >= 16) {
    await fs.chmod(file, 0o600);
    return { value: kept, created: false };
  }
  const value = generate();
  // Written aside and renamed: an interrupted start never leaves half a secret behind.
  const scratch = `${file}.${process.pid}`;
  await fs.writeFile(scratch, `${value}\n`, { mode: 0o600 });
  await fs.rename(scratch, file);
  return { value, created: true };
}
