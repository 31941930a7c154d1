/**
 * Debian's Chromium for playwright-core: browsers cannot be downloaded here, so the test uses the
 * system's (`.ci/run` installs it with apt when it is missing). CHROMIUM_PATH names another one.
 */
import fs from 'node:fs';
import path from 'node:path';
import { type Browser, chromium } from 'playwright-core';

export const ARTIFACTS = path.join(__dirname, 'artifacts');

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

export function chromiumPath(): string {
  const given = process.env.CHROMIUM_PATH;
  const found = given ? [given] : CANDIDATES.filter((p) => fs.existsSync(p));
  if (!found.length)
    throw new Error(
      `No Chromium found (${CANDIDATES.join(', ')}): install Debian's with \`apt-get install -y chromium\`, or set CHROMIUM_PATH.`,
    );
  return found[0]!;
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    timeout: 120_000,
    // As root (CI containers) Chromium refuses to start with its sandbox; /dev/shm may be tiny.
    args: [...(process.getuid?.() === 0 ? ['--no-sandbox'] : []), '--disable-dev-shm-usage'],
  });
}
