import { isIP } from 'node:net';
import path from 'node:path';
import { z } from 'zod';
import { DEFAULT_TASK_QUEUE } from '../contract/names';

/**
 * Every setting the service reads from its environment, in one schema. Each process reads it once at
 * start (`loadConfig`); a bad value stops the process with a message naming the variable.
 * `docker-compose.yml` may only use names listed here (a test checks it).
 */
const port = z.coerce.number().int().min(1).max(65535);
const url = (protocols: string[]) =>
  z
    .string()
    .url()
    .refine((v) => protocols.includes(new URL(v).protocol), {
      message: `must start with ${protocols.map((p) => `${p}//`).join(' or ')}`,
    });

/** PEM text given in a variable (Kubernetes secrets as environment): at least one BEGIN block. */
const pem = (what: string) => z.string().regex(/-----BEGIN [A-Z0-9 ]+-----/, `must be ${what}`);
const rate = z.coerce.number().positive('must be more than 0').max(1_000_000);
const burst = z.coerce.number().int().min(1).max(1_000_000);
// Workflow task polls: at least 2 (one for the worker's sticky queue, one for the shared one).
const pollers = (min: number) => z.union([z.literal('auto'), z.coerce.number().int().min(min).max(1_000)]);

export const configSchema = z.object({
  PORT: port.default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  /** The API's public base URL (https in production): one-click unsubscribe links point at it; unset: http://127.0.0.1:PORT. */
  PUBLIC_URL: url(['http:', 'https:']).optional(),
  TEMPORAL_ADDRESS: z
    .string()
    .regex(/^[^\s:/]+:\d+$/, 'must be host:port')
    .default('localhost:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  /**
   * TLS and an API key for Temporal (mTLS on a cluster's frontend, Temporal Cloud): the names the
   * Temporal CLI and the SDK's envconfig read, so `npm run temporal` takes the same ones. Any of them
   * turns TLS on (TEMPORAL_TLS=false turns it off); see runtime/temporal-connection.ts.
   */
  TEMPORAL_TLS: z.enum(['true', 'false', '1', '0'], { message: 'must be true or false' }).optional(),
  // Sent in a header: a trailing newline (a secret made from a file) would fail every call, and
  // gRPC's error would quote the key in the logs. The message never quotes the value.
  TEMPORAL_API_KEY: z
    .string()
    .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces or line breaks')
    .optional(),
  TEMPORAL_TLS_SERVER_CA_CERT_PATH: z.string().min(1).optional(),
  TEMPORAL_TLS_SERVER_CA_CERT_DATA: pem('a PEM certificate').optional(),
  TEMPORAL_TLS_CLIENT_CERT_PATH: z.string().min(1).optional(),
  TEMPORAL_TLS_CLIENT_CERT_DATA: pem('a PEM certificate').optional(),
  TEMPORAL_TLS_CLIENT_KEY_PATH: z.string().min(1).optional(),
  TEMPORAL_TLS_CLIENT_KEY_DATA: pem('a PEM private key').optional(),
  TEMPORAL_TLS_SERVER_NAME: z
    .string()
    .regex(/^[a-z0-9.-]+$/i, 'must be a host name')
    .optional(),
  /** The TypeScript SDK cannot skip the host-name check: refused rather than quietly ignored. */
  TEMPORAL_TLS_DISABLE_HOST_VERIFICATION: z
    .enum(['false', '0'], {
      message:
        'is not supported by the TypeScript SDK: set TEMPORAL_TLS_SERVER_NAME to the name on the certificate',
    })
    .optional(),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default(DEFAULT_TASK_QUEUE),
  TEMPORAL_UI_URL: url(['http:', 'https:']).default('http://localhost:8233'),
  TEMPORAL_UI_PORT: port.default(8233),
  DATABASE_URL: url(['postgres:', 'postgresql:']).optional(),
  EMBEDDED_POSTGRES_PORT: port.default(54329),
  SMTP_URL: url(['smtp:', 'smtps:']).optional(),
  /**
   * Name we greet receiving servers with (EHLO), the default of BOUNCE_DOMAIN and the host the
   * suggested SPF record of sending domains names. Message-IDs are on the From domain, not this one.
   */
  EHLO_HOSTNAME: z
    .string()
    .regex(/^[a-z0-9.-]+$/i, 'must be a host name')
    .default('localhost'),
  /** Domain of the signed return path (bounces+<delivery>-<sig>@…) and the feedback-loop address; unset: EHLO_HOSTNAME. */
  BOUNCE_DOMAIN: z
    .string()
    .regex(/^[a-z0-9.-]+$/i, 'must be a host name')
    .optional(),
  /**
   * Signs return paths and unsubscribe tokens: required by the worker and the bounce listener; the
   * API needs it for one-click unsubscribe (unset there, /u/<token> answers 404). npm start keeps one
   * in DATA_DIR.
   */
  BOUNCE_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
  /** The late-bounce listener (SMTP): port 25 in production, behind the MX of BOUNCE_DOMAIN. */
  BOUNCE_PORT: port.default(2526),
  BOUNCE_HOST: z.string().min(1).default('127.0.0.1'),
  /** Where mailbox providers send complaints (feedback loops); unset: fbl@BOUNCE_DOMAIN. */
  FEEDBACK_ADDRESS: z.string().email().optional(),
  /** Largest inbound message the listener takes (a DSN returns at most the original's headers or body). */
  BOUNCE_MAX_BYTES: z.coerce.number().int().min(10_000).max(100_000_000).default(10_000_000),
  BOUNCE_MAX_CONNECTIONS: z.coerce.number().int().min(1).max(10_000).default(100),
  /** Caps every SMTP phase's timeout (tests, the lab); unset, RFC 5321's per phase (10 min after DATA). */
  SMTP_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).optional(),
  /**
   * The API behind a reverse proxy: which peers are trusted to name the client in X-Forwarded-For
   * (addresses/subnets and loopback, linklocal, uniquelocal, or a hop count, which trusts that many
   * peers whoever they are). Unset: none, and the client is the TCP peer (a header from anyone
   * else could name any address).
   */
  TRUST_PROXY: z
    .string()
    .refine(
      isTrustProxy,
      'must be IP addresses or subnets (10.0.0.0/8), loopback, linklocal, uniquelocal, or a number of hops from 1 to 99',
    )
    .transform((v) => (/^\d+$/.test(v) ? Number(v) : v))
    .optional(),
  /**
   * The DNS server (IP, or IP:port) that verifies sending domains and finds MX hosts; unset, the
   * system's resolvers. Tests and `npm start` point it at a local one.
   */
  DNS_SERVER: z
    .string()
    .refine(isDnsServer, 'must be an IP address, optionally with :port ([::1]:53 for IPv6)')
    .optional(),
  /**
   * Direct-to-MX delivery to MX hosts at private, loopback or link-local addresses (a recipient
   * domain on the operator's own network). Off: such an address is no route, so that anyone who can
   * add a contact cannot aim the worker's SMTP client at hosts inside its network.
   */
  DIRECT_MX_ALLOW_PRIVATE: z
    .enum(['true', 'false', '1', '0'], { message: 'must be true or false' })
    .optional(),
  /**
   * Seals the DKIM private keys of sending domains in the database (AES-256-GCM under a key derived
   * from it): required by the API and the worker, the same in both; npm start keeps one in DATA_DIR.
   */
  DKIM_ENCRYPTION_KEY: z.string().min(32, 'must be at least 32 characters').optional(),
  LAB_PORT: port.default(2525),
  API_KEY: z.string().min(16, 'must be at least 16 characters').optional(),
  DATA_DIR: z.string().min(1).default('.data'),
  TEMPORAL_CLI_PATH: z.string().min(1).optional(),
  TEMPORAL_TEST_SERVER_PATH: z.string().min(1).optional(),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  /**
   * Worker tuning. Unset: WORKER_DEFAULTS of worker/tuning.ts (a cache of 100 workflows, autoscaled
   * workflow task polls), and the SDK's defaults for the rest; see docs/performance.md.
   */
  WORKER_MAX_CONCURRENT_ACTIVITIES: z.coerce.number().int().min(1).max(10_000).optional(),
  WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: z.coerce.number().int().min(2).max(10_000).optional(),
  WORKER_MAX_CACHED_WORKFLOWS: z.coerce.number().int().min(0).max(1_000_000).optional(),
  /** Task pollers: at most this many polls at once, or `auto` (the SDK scales them between 1 and 100). */
  WORKER_WORKFLOW_TASK_POLLERS: pollers(2).optional(),
  WORKER_ACTIVITY_TASK_POLLERS: pollers(1).optional(),
  /** A workflow bundle built by `npm run build:workflows`; unset, the worker bundles `workflows/` at start. */
  WORKFLOW_BUNDLE_PATH: z.string().min(1).optional(),
  /**
   * Rate limits of the API, token buckets per process (see api/rate-limit.ts): a bucket holds BURST
   * requests and refills at the given rate. Failed authentications are counted per client address.
   */
  RATE_LIMIT_KEY_PER_SECOND: rate.default(100),
  RATE_LIMIT_KEY_BURST: burst.default(1_000),
  RATE_LIMIT_CLIENT_PER_SECOND: rate.default(200),
  RATE_LIMIT_CLIENT_BURST: burst.default(2_000),
  RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: rate.default(30),
  RATE_LIMIT_AUTH_FAILURES_BURST: burst.default(30),
});

export type Config = z.infer<typeof configSchema>;

/** `1.2.3.4`, `1.2.3.4:5353`, `::1` or `[::1]:5353`: what c-ares' setServers takes. */
function isDnsServer(v: string): boolean {
  const bracketed = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(v);
  if (bracketed) return isIP(bracketed[1]!) === 6 && validPort(bracketed[2]);
  if (isIP(v)) return true;
  const [host, portText, ...rest] = v.split(':');
  return rest.length === 0 && isIP(host!) === 4 && validPort(portText);
}

/** What Express's `trust proxy` (proxy-addr) compiles without throwing at start, less netmask forms. */
function isTrustProxy(v: string): boolean {
  if (/^\d+$/.test(v)) return Number(v) >= 1 && Number(v) <= 99;
  return v.split(',').every((item) => {
    const t = item.trim();
    if (['loopback', 'linklocal', 'uniquelocal'].includes(t)) return true;
    const [ip = '', bits, ...rest] = t.split('/');
    const family = isIP(ip);
    if (!family || rest.length > 0) return false;
    // A /0 would trust every address (proxy-addr refuses it).
    if (bits === undefined) return true;
    return /^\d{1,3}$/.test(bits) && Number(bits) >= 1 && Number(bits) <= (family === 4 ? 32 : 128);
  });
}

const validPort = (p: string | undefined) => p === undefined || (Number(p) >= 1 && Number(p) <= 65535);

/** The names of every environment variable the service understands. */
export const configKeys = Object.keys(configSchema.shape) as (keyof Config)[];

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Reads and validates the configuration. `require` lists settings this process cannot run without
 * (the worker and the API alone need DATABASE_URL; only `npm start` embeds a database).
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, require: (keyof Config)[] = []): Config {
  // An empty variable means "unset": `FOO= npm start` must not count as a value.
  const present = Object.fromEntries(
    configKeys.filter((k) => env[k] !== undefined && env[k] !== '').map((k) => [k, env[k]]),
  );
  const parsed = configSchema.safeParse(present);
  const problems = parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  for (const key of require) {
    if (parsed.success && parsed.data[key] === undefined) problems.push(`${key}: is required`);
  }
  if (!parsed.success || problems.length) throw new ConfigError(problems);
  return { ...parsed.data, DATA_DIR: path.resolve(parsed.data.DATA_DIR) };
}

/** Loads the config or exits with the message: the entry points of every process use this. */
export function loadConfigOrExit(require: (keyof Config)[] = []): Config {
  try {
    return loadConfig(process.env, require);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  }
}

/** A URL fit for a log line: never print a password. */
export function redactUrl(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}

/** The keys of the signed return path; a ConfigError when BOUNCE_SECRET is missing. */
export function returnPathKeys(config: Config): { secret: string; domain: string } {
  if (!config.BOUNCE_SECRET) throw new ConfigError(['BOUNCE_SECRET: is required']);
  return { secret: config.BOUNCE_SECRET, domain: config.BOUNCE_DOMAIN ?? config.EHLO_HOSTNAME };
}

/** The API's public base URL, without a trailing slash: the base of one-click unsubscribe links. */
export function publicUrl(config: Config): string {
  return (config.PUBLIC_URL ?? `http://127.0.0.1:${config.PORT}`).replace(/\/+$/, '');
}

/** The feedback-loop address complaints are sent to. */
export function feedbackAddress(config: Config): string {
  return config.FEEDBACK_ADDRESS ?? `fbl@${config.BOUNCE_DOMAIN ?? config.EHLO_HOSTNAME}`;
}
