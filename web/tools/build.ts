/**
 * Builds the web app (web/ → dist/web/) with Vite. Run by `npm ci` (prepare), `npm start` (prestart,
 * `--if-missing`) and the browser test. An install without dev dependencies (the production image
 * installs those, its web stage builds the app) has no Vite: then it says so and builds nothing.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.join(__dirname, '..', '..');
export const BUILT_INDEX = path.join(ROOT, 'dist', 'web', 'index.html');

export async function buildWebApp(
  opts: { ifMissing?: boolean; log?: (m: string) => void } = {},
): Promise<void> {
  const log = opts.log ?? console.log;
  if (opts.ifMissing && fs.existsSync(BUILT_INDEX)) return;
  let vite: string;
  try {
    vite = path.join(path.dirname(require.resolve('vite/package.json', { paths: [ROOT] })), 'bin', 'vite.js');
  } catch {
    return log('Web app not built: Vite is not installed (an install without dev dependencies).');
  }
  log('Building the web app (web/ → dist/web/) ...');
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(process.execPath, [vite, 'build', '--config', 'web/vite.config.mts'], {
      cwd: ROOT,
      stdio: 'inherit',
      // A production build whoever calls (Jest sets NODE_ENV=test, which would bundle React's
      // development build).
      env: { ...process.env, NODE_ENV: 'production', VITE_CONFIG_NATIVE_IGNORE_WARNING: 'true' },
    });
    child.once('error', reject);
    child.once('exit', resolve);
  });
  if (code !== 0) throw new Error(`the web app's build failed (vite exited with ${code})`);
}

if (require.main === module) {
  buildWebApp({ ifMissing: process.argv.includes('--if-missing') }).catch((err: Error) => {
    console.error(err.message);
    process.exit(1);
  });
}
