/**
 * How every process reaches Temporal: TEMPORAL_ADDRESS, and for a frontend that asks for mTLS or a
 * key (a production cluster, Temporal Cloud) the TLS and API-key settings under Temporal's own names
 * (TEMPORAL_TLS_CLIENT_CERT_PATH, TEMPORAL_API_KEY, …: what the Temporal CLI and the SDK read, so
 * `npm run temporal` reaches the same server with the same environment). The SDK's envconfig turns
 * them into connection options; this module checks them first, so that a missing file or a
 * certificate without its key stops the process at start with the variable's name, not at the first
 * call with a TLS error.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import type { TLSConfig } from '@temporalio/common/lib/internal-non-workflow';
import { type Config, ConfigError, configKeys } from './config';

/** The settings this module reads, all declared (and validated one by one) in runtime/config.ts. */
const TLS_KEYS = [
  'TEMPORAL_TLS',
  'TEMPORAL_API_KEY',
  'TEMPORAL_TLS_SERVER_CA_CERT_PATH',
  'TEMPORAL_TLS_SERVER_CA_CERT_DATA',
  'TEMPORAL_TLS_CLIENT_CERT_PATH',
  'TEMPORAL_TLS_CLIENT_CERT_DATA',
  'TEMPORAL_TLS_CLIENT_KEY_PATH',
  'TEMPORAL_TLS_CLIENT_KEY_DATA',
  'TEMPORAL_TLS_SERVER_NAME',
] as const satisfies readonly (keyof Config)[];

/** What both connections take: `Connection` (client) and `NativeConnection` (worker). */
export type TemporalConnectionOptions = {
  address: string;
  tls?: TLSConfig | boolean;
  apiKey?: string;
};

/** Problems of combination, which one variable's schema cannot see; empty when there are none. */
function temporalTlsProblems(config: Partial<Config>): string[] {
  const problems: string[] = [];
  const given = (k: keyof Config) => config[k] !== undefined;
  for (const part of ['SERVER_CA_CERT', 'CLIENT_CERT', 'CLIENT_KEY'] as const) {
    const [p, d] = [`TEMPORAL_TLS_${part}_PATH`, `TEMPORAL_TLS_${part}_DATA`] as const;
    if (given(p) && given(d)) problems.push(`${p}, ${d}: give one of them, not both`);
  }
  const cert = given('TEMPORAL_TLS_CLIENT_CERT_PATH') || given('TEMPORAL_TLS_CLIENT_CERT_DATA');
  const key = given('TEMPORAL_TLS_CLIENT_KEY_PATH') || given('TEMPORAL_TLS_CLIENT_KEY_DATA');
  // The SDK would quietly connect without a client certificate, and the server refuse the handshake.
  if (cert !== key)
    problems.push(
      cert
        ? 'TEMPORAL_TLS_CLIENT_KEY_PATH: is required with a client certificate (or TEMPORAL_TLS_CLIENT_KEY_DATA)'
        : 'TEMPORAL_TLS_CLIENT_CERT_PATH: is required with a client key (or TEMPORAL_TLS_CLIENT_CERT_DATA)',
    );
  return problems;
}

/** Set in the environment, read by the Temporal CLI or SDKs, but not by this service: refused. */
const NOT_READ = /^TEMPORAL_(TLS_[A-Z_]+|GRPC_META_[A-Z0-9_]+|PROFILE|CONFIG_FILE)$/;

/** A certificate and key part: its PEM text from the _PATH file or the _DATA value, if given. */
function pemOf(config: Config, part: 'SERVER_CA_CERT' | 'CLIENT_CERT' | 'CLIENT_KEY', problems: string[]) {
  const pathKey = `TEMPORAL_TLS_${part}_PATH` as const;
  const dataKey = `TEMPORAL_TLS_${part}_DATA` as const;
  const file = config[pathKey];
  if (file === undefined)
    return config[dataKey] === undefined ? undefined : { text: config[dataKey], key: dataKey };
  try {
    return { text: fs.readFileSync(file, 'utf8'), key: `${pathKey} (${file})` };
  } catch (err) {
    problems.push(`${pathKey}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    return undefined;
  }
}

/** Why node:crypto could not read it, and the usual cause of a PEM on one line. */
function unreadable(what: string, text: string, err: unknown): string {
  const escaped = !text.includes('\n') && text.includes('\\n') ? ' (its line breaks are written as \\n)' : '';
  return `is not ${what}${escaped}: ${(err as Error).message}`;
}

/**
 * The options of a connection to Temporal, from the settings. The certificates and the key are read
 * and checked here (each one parses, the key is not encrypted and belongs to the certificate, no
 * certificate has expired): a mistake stops the process at start with the variable's name, instead
 * of a TLS error at the first call. Temporal settings this service does not read are refused.
 */
export function temporalConnectionOptions(
  config: Config,
  env: NodeJS.ProcessEnv = process.env,
): TemporalConnectionOptions {
  const problems = temporalTlsProblems(config);
  for (const [name, value] of Object.entries(env))
    if (value && NOT_READ.test(name) && !(configKeys as string[]).includes(name))
      problems.push(
        `${name}: is not read by this service (see TEMPORAL_TLS_* and TEMPORAL_API_KEY in docs/operations.md)`,
      );

  const now = Date.now();
  const certificate = (part: 'SERVER_CA_CERT' | 'CLIENT_CERT') => {
    const pem = pemOf(config, part, problems);
    if (!pem) return undefined;
    try {
      const cert = new X509Certificate(pem.text);
      if (Date.parse(cert.validTo) < now)
        problems.push(`${pem.key}: the certificate expired on ${cert.validTo}`);
      return { pem: pem.text, cert };
    } catch (err) {
      problems.push(`${pem.key}: ${unreadable('a PEM certificate', pem.text, err)}`);
      return undefined;
    }
  };
  const ca = certificate('SERVER_CA_CERT');
  const client = certificate('CLIENT_CERT');
  const keyPem = pemOf(config, 'CLIENT_KEY', problems);
  let key: { pem: string } | undefined;
  if (keyPem) {
    try {
      const parsed = createPrivateKey(keyPem.text); // an encrypted key throws: it needs a passphrase
      if (client && !client.cert.checkPrivateKey(parsed))
        problems.push(`${keyPem.key}: is not the key of the client certificate`);
      key = { pem: keyPem.text };
    } catch (err) {
      problems.push(`${keyPem.key}: ${unreadable('an unencrypted PEM private key', keyPem.text, err)}`);
    }
  }
  if (problems.length) throw new ConfigError(problems);

  // Only these settings, as text, never the whole environment (no profile file either: a developer's
  // ~/.config/temporalio profile must not reach a server npm start runs on 127.0.0.1).
  const given: Record<string, string | undefined> = {
    TEMPORAL_TLS: config.TEMPORAL_TLS,
    TEMPORAL_API_KEY: config.TEMPORAL_API_KEY,
    TEMPORAL_TLS_SERVER_NAME: config.TEMPORAL_TLS_SERVER_NAME,
    TEMPORAL_TLS_SERVER_CA_CERT_DATA: ca?.pem,
    TEMPORAL_TLS_CLIENT_CERT_DATA: client?.pem,
    TEMPORAL_TLS_CLIENT_KEY_DATA: key?.pem,
  };
  const overrideEnvVars = Object.fromEntries(
    Object.entries(given).filter((e): e is [string, string] => e[1] !== undefined),
  );
  const { connectionOptions } = loadClientConnectConfig({ disableFile: true, overrideEnvVars });
  return {
    address: config.TEMPORAL_ADDRESS,
    ...(connectionOptions.tls != null && { tls: connectionOptions.tls }),
    ...(connectionOptions.apiKey !== undefined && { apiKey: connectionOptions.apiKey }),
  };
}

/** For log lines: where, and how (never the key or a certificate). */
export function describeTemporal(options: TemporalConnectionOptions): string {
  const how = [
    options.tls && (typeof options.tls === 'object' && options.tls.clientCertPair ? 'mTLS' : 'TLS'),
  ]
    .concat(options.apiKey ? ['API key'] : [])
    .filter(Boolean);
  return how.length ? `${options.address} (${how.join(', ')})` : options.address;
}

/** A TLS or API-key setting: a process that runs its own local server does not pass these on. */
export const isTemporalTlsSetting = (name: string) => (TLS_KEYS as readonly string[]).includes(name);

export function withoutTemporalTls(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([k]) => !isTemporalTlsSetting(k)));
}
