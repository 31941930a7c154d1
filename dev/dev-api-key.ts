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
  const file = path.join(dataDir, DEV_API_KEY_FILE);
  const kept = await fs.readFile(file, 'utf8').then(
    (text) => text.trim(),
    (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return '';
      throw err;
    },
  );
  if (kept.length >= 16) {
    await fs.chmod(file, 0o600);
    return { key: kept, source: 'file' };
  }
  const key = newApiKey();
  // Written aside and renamed: an interrupted start never leaves half a key behind.
  const scratch = `${file}.${process.pid}`;
  await fs.writeFile(scratch, `${key}\n`, { mode: 0o600 });
  await fs.rename(scratch, file);
  return { key, source: 'new' };
}
