/**
 * How every process reaches Temporal: TEMPORAL_ADDRESS, and for a frontend that asks for mTLS or a
 * key (a production cluster, Temporal Cloud) the TLS and API-key settings under Temporal's own names
 * (TEMPORAL_TLS_CLIENT_CERT_PATH, TEMPORAL_API_KEY, …: what the Temporal CLI and the SDK read, so
 * `npm run temporal` reaches the same server with the same environment). The SDK's envconfig turns
 * them into connection options; this module checks them first, so that a missing file or a
 * certificate without its key stops the process at start with the variable's name, not at the first
 * call with a TLS error.
 */
import fs from 'node:fs';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import type { TLSConfig } from '@temporalio/common/lib/internal-non-workflow';
import { type Config, ConfigError } from './config';

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
export function temporalTlsProblems(config: Partial<Config>): string[] {
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

/**
 * The options of a connection to Temporal. Reads the certificate files named by the settings (a
 * ConfigError naming each one that cannot be read or holds no PEM block).
 */
export function temporalConnectionOptions(config: Config): TemporalConnectionOptions {
  const problems = temporalTlsProblems(config);
  for (const key of TLS_KEYS.filter((k) => k.endsWith('_PATH'))) {
    const file = config[key];
    if (file === undefined) continue;
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (err) {
      problems.push(`${key}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
      continue;
    }
    if (!/-----BEGIN [A-Z0-9 ]+-----/.test(text)) problems.push(`${key}: ${file} holds no PEM block`);
  }
  if (problems.length) throw new ConfigError(problems);

  // Only the settings above, never the whole environment (no profile file either: a developer's
  // ~/.config/temporalio profile must not reach a server npm start runs on 127.0.0.1).
  const env = Object.fromEntries(
    TLS_KEYS.flatMap((k) => (config[k] === undefined ? [] : [[k, String(config[k])]])),
  );
  const { connectionOptions } = loadClientConnectConfig({ disableFile: true, overrideEnvVars: env });
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
