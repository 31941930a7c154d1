/**
 * No Docker engine runs here, so the production topology is checked by reading it: the services
 * are there, the ports are the documented ones, and every variable given to our own processes is
 * one that runtime/config.ts reads and accepts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { configKeys, loadConfig } from '../runtime/config';
import { searchAttributeDefinitions } from '../contract/names';
import { WORKER_ENV, WORKER_NODE_FLAGS } from '../worker/node-flags';

type Service = {
  image?: string;
  build?: unknown;
  command?: string[];
  ports?: Array<string | { target: number; published?: string | number; host_ip?: string }>;
  network_mode?: string;
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
};
const root = path.resolve(__dirname, '..');
const compose = parse(fs.readFileSync(path.join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, Service>;
};
const services = compose.services;
const ours = ['worker', 'api', 'migrate', 'bounces'] as const;

describe('docker-compose.yml', () => {
  it('when read, then it has the whole production topology', () => {
    expect(Object.keys(services).sort()).toEqual(
      [
        'api',
        'bounces',
        'migrate',
        'postgresql',
        'temporal',
        'temporal-schema',
        'temporal-setup',
        'temporal-ui',
        'worker',
      ].sort(),
    );
    expect(services.temporal!.image).toMatch(/^temporalio\/server:/);
    expect(services['temporal-schema']!.image).toMatch(/^temporalio\/admin-tools:/);
    expect(services['temporal-ui']!.image).toMatch(/^temporalio\/ui:/);
    for (const s of Object.values(services)) expect(s.image ?? '').not.toMatch(/auto-setup/);
  });

  it('when read, then the published ports are the documented ones', () => {
    expect(services.api!.ports).toEqual(['3000:3000']);
    expect(services['temporal-ui']!.ports).toEqual(['127.0.0.1:8233:8080']);
    expect(services.api!.environment!.PORT).toBe('3000');
  });

  it('when deployed, then Temporal stays on the internal network: its frontend unpublished, its UI on the loopback only, the API and the bounce listener alone on every interface', () => {
    const published = Object.entries(services).flatMap(([name, s]) =>
      (s.ports ?? []).map((p) => ({ service: name, ...publishedPort(p) })),
    );
    // The frontend (no authentication, every recipient address in it) is reached only by the
    // services on the compose network, as temporal:7233.
    expect(services.temporal!.ports).toBeUndefined();
    expect(published.filter((p) => p.service === 'temporal' || p.target === 7233)).toEqual([]);
    expect(published.filter((p) => p.service === 'temporal-ui')).toEqual([
      { service: 'temporal-ui', hostIp: '127.0.0.1', published: 8233, target: 8080 },
    ]);
    expect(published.filter((p) => !LOOPBACK.includes(p.hostIp))).toEqual([
      { service: 'api', hostIp: '', published: 3000, target: 3000 },
      // Returned mail comes from the whole internet, to the MX of BOUNCE_DOMAIN.
      { service: 'bounces', hostIp: '', published: 25, target: 2525 },
    ]);
    for (const s of Object.values(services)) expect(s.network_mode).toBeUndefined();
  });

  it.each(ours)(
    'when %s starts, then every variable it gets is one the config module reads and accepts',
    (name) => {
      const env = services[name]!.environment!;
      for (const key of Object.keys(env)) expect(configKeys).toContain(key);
      // `${SMTP_URL:-}` and friends become the empty string or their default when unset.
      const resolved = Object.fromEntries(
        Object.entries(env).map(([k, v]) => [k, v.replace(/\$\{[A-Z_]+:-([^}]*)\}/g, '$1')]),
      );
      expect(() => loadConfig(resolved, ['DATABASE_URL'])).not.toThrow();
      expect(services[name]!.build).toBe('.');
      expect(services[name]!.command!.slice(0, 2)).toEqual(['npm', 'run']);
    },
  );

  it('when the worker and API start, then they wait for the migration and Temporal setup jobs', () => {
    for (const name of ['worker', 'api']) {
      expect(services[name]!.depends_on).toEqual({
        migrate: { condition: 'service_completed_successfully' },
        'temporal-setup': { condition: 'service_completed_successfully' },
      });
    }
  });

  it('when Temporal is set up, then exactly the search attributes of the ops view are registered', () => {
    const script = services['temporal-setup']!.command!.join('\n');
    const listed = /for attr in ([^;]+);/.exec(script)![1]!.trim().split(/\s+/);
    expect(listed.sort()).toEqual(searchAttributeDefinitions().sort());
  });

  it('when the image is built, then it has every folder the processes load, and no dev/ or dev-only package', () => {
    const dockerfile = fs.readFileSync(path.join(root, 'Dockerfile'), 'utf8');
    const { folders, packages } = productionImports();
    for (const dir of folders) expect(dockerfile).toContain(`COPY ${dir} ./${dir}`);
    expect(folders).toEqual(expect.arrayContaining(['activities', 'api', 'db', 'domain', 'workflows']));
    expect(folders).not.toContain('dev');
    expect(dockerfile).not.toContain('COPY dev');
    const { dependencies } = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    // `npm ci --omit=dev` installs only these: every package a production process loads must be one.
    for (const pkg of packages)
      expect({ pkg, installed: pkg in dependencies }).toEqual({ pkg, installed: true });
    for (const name of ours) {
      const script = services[name]!.command![2]!;
      const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {
        scripts: Record<string, string>;
      };
      expect(pkg.scripts[script]).toBeDefined();
    }
  });

  it('when the worker starts, then it loads the bundle built into the image, with the heap cap every worker gets', () => {
    const dockerfile = fs.readFileSync(path.join(root, 'Dockerfile'), 'utf8');
    const bundle = services.worker!.environment!.WORKFLOW_BUNDLE_PATH!;
    expect(dockerfile).toContain(`RUN npm run build:workflows -- ${bundle}`);
    const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    // The operator's own value wins: `${NAME:-default}`.
    const env = Object.entries(WORKER_ENV).map(([name, value]) => `${name}=\${${name}:-${value}} `);
    expect(pkg.scripts.worker).toBe(
      `${env.join('')}node ${WORKER_NODE_FLAGS.join(' ')} --import tsx worker/main.ts`,
    );
  });
});

const LOOPBACK = ['127.0.0.1', '::1', '[::1]'];

/**
 * A `ports:` entry, short (`[HOST_IP:]PUBLISHED:TARGET[/PROTOCOL]`, or only TARGET: a random port on
 * every interface) or long syntax; hostIp '' is every interface.
 */
function publishedPort(p: NonNullable<Service['ports']>[number]) {
  if (typeof p !== 'string')
    return { hostIp: p.host_ip ?? '', published: Number(p.published ?? 0), target: Number(p.target) };
  const parts = p.replace(/\/(tcp|udp)$/, '').split(':');
  const target = Number(parts.pop());
  const published = Number(parts.pop() ?? 0);
  return { hostIp: parts.join(':'), published, target };
}

/**
 * What the production entry points load: the top-level folders and the npm packages reached by
 * static value imports (type-only imports and `await import()` load nothing at start).
 */
function productionImports(): { folders: string[]; packages: string[] } {
  const entryFiles = [
    'worker/main.ts',
    'worker/build-bundle-cli.ts',
    'workflows/index.ts',
    'api/main.ts',
    'db/migrate-cli.ts',
    'db/create-account-cli.ts',
  ];
  const seen = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const source = fs.readFileSync(path.join(root, file), 'utf8');
    for (const m of source.matchAll(/^import (?!type )[^;]*?from '([^']+)'/gms)) {
      const spec = m[1]!;
      if (spec.startsWith('node:')) continue;
      if (!spec.startsWith('.')) {
        packages.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
        continue;
      }
      const target = path.relative(root, path.resolve(root, path.dirname(file), spec));
      visit(fs.existsSync(path.join(root, `${target}.ts`)) ? `${target}.ts` : `${target}/index.ts`);
    }
  };
  entryFiles.forEach(visit);
  const folders = new Set([...seen].map((f) => f.split('/')[0]!));
  return { folders: [...folders].sort(), packages: [...packages].sort() };
}
