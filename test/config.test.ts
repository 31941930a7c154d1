import { ConfigError, loadConfig } from '../runtime/config';
import express from 'express';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pollerBehavior } from '../worker/tuning';
import {
  describeTemporal,
  temporalConnectionOptions,
  withoutTemporalTls,
} from '../runtime/temporal-connection';

describe('configuration', () => {
  it('when nothing is set, then the defaults of npm start apply', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      PORT: 3000,
      TEMPORAL_ADDRESS: 'localhost:7233',
      TEMPORAL_UI_PORT: 8233,
      TEMPORAL_TASK_QUEUE: 'deliveries',
    });
    expect(c.DATABASE_URL).toBeUndefined();
    expect(c.SMTP_URL).toBeUndefined();
  });

  it.each([
    ['PORT', 'eighty', /PORT/],
    ['PORT', '70000', /PORT/],
    ['DATABASE_URL', 'mysql://x@y/z', /DATABASE_URL: must start with postgres:\/\/ or postgresql:\/\//],
    ['TEMPORAL_ADDRESS', 'http://localhost:7233', /TEMPORAL_ADDRESS: must be host:port/],
    ['SMTP_URL', 'localhost:25', /SMTP_URL/],
    ['LOG_LEVEL', 'loud', /LOG_LEVEL/],
    ['API_KEY', 'short', /API_KEY: must be at least 16 characters/],
    ['RATE_LIMIT_KEY_PER_SECOND', '0', /RATE_LIMIT_KEY_PER_SECOND: must be more than 0/],
    ['RATE_LIMIT_CLIENT_PER_SECOND', 'fast', /RATE_LIMIT_CLIENT_PER_SECOND/],
    ['RATE_LIMIT_KEY_BURST', '1.5', /RATE_LIMIT_KEY_BURST/],
    ['RATE_LIMIT_AUTH_FAILURES_BURST', '0', /RATE_LIMIT_AUTH_FAILURES_BURST/],
    ['RATE_LIMIT_AUTH_FAILURES_PER_MINUTE', '-1', /RATE_LIMIT_AUTH_FAILURES_PER_MINUTE/],
    ['DNS_SERVER', 'dns.example.com:53', /DNS_SERVER: must be an IP address/],
    ['DNS_SERVER', '127.0.0.1:99999', /DNS_SERVER/],
    ['DKIM_ENCRYPTION_KEY', 'short', /DKIM_ENCRYPTION_KEY: must be at least 32 characters/],
    ['WORKER_WORKFLOW_TASK_POLLERS', '1', /WORKER_WORKFLOW_TASK_POLLERS/],
    ['TRUST_PROXY', 'true', /TRUST_PROXY: must be IP addresses or subnets/],
    ['TRUST_PROXY', '10.0.0.0/33', /TRUST_PROXY/],
    ['TRUST_PROXY', '10.0.0.0/0', /TRUST_PROXY/],
    ['TRUST_PROXY', '::/0', /TRUST_PROXY/],
    ['TRUST_PROXY', '0', /TRUST_PROXY/],
    ['TRUST_PROXY', '100', /TRUST_PROXY/],
    ['TRUST_PROXY', 'proxy.example.com', /TRUST_PROXY/],
    ['WORKER_ACTIVITY_TASK_POLLERS', 'many', /WORKER_ACTIVITY_TASK_POLLERS/],
  ])('when %s=%s, then loading fails naming it', (key, value, message) => {
    expect(() => loadConfig({ [key]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [key]: value })).toThrow(message);
  });

  it.each(['127.0.0.1', '127.0.0.1:5353', '::1', '[::1]:5353', '[2001:db8::53]:53'])(
    'when DNS_SERVER=%s, then it is taken',
    (server) => {
      expect(loadConfig({ DNS_SERVER: server }).DNS_SERVER).toBe(server);
    },
  );

  it('when the rate limits are not set, then the defaults are generous for clients, hard on failed keys', () => {
    expect(loadConfig({})).toMatchObject({
      RATE_LIMIT_KEY_PER_SECOND: 100,
      RATE_LIMIT_KEY_BURST: 1000,
      RATE_LIMIT_CLIENT_PER_SECOND: 200,
      RATE_LIMIT_CLIENT_BURST: 2000,
      RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: 30,
      RATE_LIMIT_AUTH_FAILURES_BURST: 30,
    });
    expect(loadConfig({ RATE_LIMIT_KEY_PER_SECOND: '0.5' }).RATE_LIMIT_KEY_PER_SECOND).toBe(0.5);
  });

  it('when the pollers are set, then a number caps them and `auto` lets the SDK scale them', () => {
    const c = loadConfig({ WORKER_WORKFLOW_TASK_POLLERS: '4', WORKER_ACTIVITY_TASK_POLLERS: 'auto' });
    expect(c).toMatchObject({ WORKER_WORKFLOW_TASK_POLLERS: 4, WORKER_ACTIVITY_TASK_POLLERS: 'auto' });
    expect(pollerBehavior(4)).toEqual({ type: 'simple-maximum', maximum: 4 });
    expect(pollerBehavior('auto')).toEqual({ type: 'autoscaling' });
  });

  it.each([
    ['1', 1],
    ['99', 99],
    ['loopback', 'loopback'],
    ['10.0.0.0/8, fd00::/8, 192.0.2.7', '10.0.0.0/8, fd00::/8, 192.0.2.7'],
    ['::1/128,linklocal', '::1/128,linklocal'],
  ])('when TRUST_PROXY=%s, then it is taken, and Express takes it too', (value, expected) => {
    const { TRUST_PROXY } = loadConfig({ TRUST_PROXY: value });
    expect(TRUST_PROXY).toBe(expected);
    expect(() => express().set('trust proxy', TRUST_PROXY)).not.toThrow();
  });

  it('when a process needs a database and none is given, then it says so', () => {
    expect(() => loadConfig({}, ['DATABASE_URL'])).toThrow(/DATABASE_URL: is required/);
  });

  it('when a variable is set but empty, then it counts as unset', () => {
    expect(loadConfig({ SMTP_URL: '', PORT: '' })).toMatchObject({ PORT: 3000 });
  });
});

describe('Temporal TLS and API key settings', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'temporal-tls-config-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, text: string) => {
    const p = path.join(dir, name);
    fs.writeFileSync(p, text);
    return p;
  };
  // PEM-shaped, not a certificate: what a wrong or mangled file looks like. Real certificates are
  // made and used against a real server in temporal-tls.test.ts.
  const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
  const options = (env: NodeJS.ProcessEnv) => temporalConnectionOptions(loadConfig(env), env);

  it('when none is set, then the connection is plain gRPC to TEMPORAL_ADDRESS', () => {
    expect(options({ TEMPORAL_ADDRESS: 'temporal:7233' })).toEqual({ address: 'temporal:7233' });
  });

  it('when only an API key is given, then TLS is on with the system CAs, as the Temporal CLI does', () => {
    const o = options({ TEMPORAL_ADDRESS: 'ns.acct.tmprl.cloud:7233', TEMPORAL_API_KEY: 'secret-key' });
    expect(o).toMatchObject({ apiKey: 'secret-key' });
    expect(o.tls).toBeTruthy();
    expect(describeTemporal(o)).toBe('ns.acct.tmprl.cloud:7233 (TLS, API key)');
  });

  it('when TEMPORAL_TLS=false is given with an API key, then TLS stays off (a local proxy ends it)', () => {
    expect(options({ TEMPORAL_TLS: 'false', TEMPORAL_API_KEY: 'k' })).toEqual({
      address: 'localhost:7233',
      tls: false,
      apiKey: 'k',
    });
  });

  it.each([
    [
      { TEMPORAL_TLS_CLIENT_CERT_PATH: 'CERT' },
      /TEMPORAL_TLS_CLIENT_KEY_PATH: is required with a client certificate/,
    ],
    [
      { TEMPORAL_TLS_CLIENT_KEY_PATH: 'CERT' },
      /TEMPORAL_TLS_CLIENT_CERT_PATH: is required with a client key/,
    ],
    [
      { TEMPORAL_TLS_SERVER_CA_CERT_PATH: '/nowhere/ca.pem' },
      /TEMPORAL_TLS_SERVER_CA_CERT_PATH: cannot read \/nowhere\/ca.pem \(ENOENT\)/,
    ],
    [
      { TEMPORAL_TLS_SERVER_CA_CERT_PATH: 'TEXT' },
      /TEMPORAL_TLS_SERVER_CA_CERT_PATH \(.*some.txt\): is not a PEM certificate/,
    ],
    [
      { TEMPORAL_TLS_SERVER_CA_CERT_PATH: 'CERT' },
      /TEMPORAL_TLS_SERVER_CA_CERT_PATH \(.*some.pem\): is not a PEM certificate/,
    ],
    [
      { TEMPORAL_TLS_SERVER_CA_CERT_DATA: PEM.replaceAll('\n', '\\n') },
      /TEMPORAL_TLS_SERVER_CA_CERT_DATA: is not a PEM certificate \(its line breaks are written as \\n\)/,
    ],
    [
      { TEMPORAL_TLS_SERVER_CA_CERT_PATH: 'CERT', TEMPORAL_TLS_SERVER_CA_CERT_DATA: PEM },
      /TEMPORAL_TLS_SERVER_CA_CERT_PATH, TEMPORAL_TLS_SERVER_CA_CERT_DATA: give one of them, not both/,
    ],
    [{ TEMPORAL_PROFILE: 'prod' }, /TEMPORAL_PROFILE: is not read by this service/],
    [{ TEMPORAL_TLS_CERT: 'CERT' }, /TEMPORAL_TLS_CERT: is not read by this service/],
    [{ TEMPORAL_GRPC_META_X_TENANT: 'a' }, /TEMPORAL_GRPC_META_X_TENANT: is not read by this service/],
  ])('when %j, then the process stops naming the setting', (env, message) => {
    const files = { CERT: file('some.pem', PEM), TEXT: file('some.txt', 'not a certificate') };
    const resolved = Object.fromEntries(
      Object.entries(env).map(([k, v]) => [k, files[v as keyof typeof files] ?? v]),
    );
    expect(() => options(resolved)).toThrow(ConfigError);
    expect(() => options(resolved)).toThrow(message);
  });

  it.each([
    ['TEMPORAL_TLS', 'yes', /TEMPORAL_TLS: must be true or false/],
    ['TEMPORAL_TLS_CLIENT_CERT_DATA', 'MIIB…', /TEMPORAL_TLS_CLIENT_CERT_DATA: must be a PEM certificate/],
    ['TEMPORAL_TLS_SERVER_NAME', 'https://temporal', /TEMPORAL_TLS_SERVER_NAME: must be a host name/],
    [
      'TEMPORAL_TLS_DISABLE_HOST_VERIFICATION',
      'true',
      /TEMPORAL_TLS_DISABLE_HOST_VERIFICATION: is not supported by the TypeScript SDK/,
    ],
    [
      'TEMPORAL_API_KEY',
      'key-from-a-file\n',
      /TEMPORAL_API_KEY: must be printable ASCII without spaces or line breaks/,
    ],
  ])('when %s=%j, then loading fails naming it, and not quoting it', (key, value, message) => {
    expect(() => loadConfig({ [key]: value })).toThrow(message);
    expect(() => loadConfig({ [key]: value })).not.toThrow(value);
  });

  it('when npm start runs its own server, then its children get none of these settings', () => {
    const env = withoutTemporalTls({ TEMPORAL_API_KEY: 'k', TEMPORAL_TLS: 'true', TEMPORAL_NAMESPACE: 'n' });
    expect(env).toEqual({ TEMPORAL_NAMESPACE: 'n' });
  });
});
