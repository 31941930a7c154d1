/**
 * The TLS and API-key settings against a real server: a real Temporal dev server behind a TLS
 * front (HTTP/2 with ALPN, as a cluster's frontend or a load balancer ends TLS) that asks for a
 * client certificate signed by its CA, or for an API key, and passes each gRPC call on to the server.
 * Both connections are tried: the client's (grpc-js, the API and the fan-out) and the worker's
 * (the SDK core's, in Rust).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http2 from 'node:http2';
import os from 'node:os';
import path from 'node:path';
import type { TLSSocket } from 'node:tls';
import { Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { loadConfig } from '../runtime/config';
import { temporalConnectionOptions } from '../runtime/temporal-connection';
import { startDevTemporal } from './support/drill';
import { quietRuntime } from './support/temporal';

/**
 * A CA; server certificates for localhost and 127.0.0.1 (`server`) and for temporal.test only
 * (`named`); a client certificate; and one of a CA nobody trusts. Made by openssl, for two days.
 */
function makeCertificates(dir: string) {
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const key = (name: string) => openssl('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', name);
  key('ca.key');
  openssl('req', '-x509', '-new', '-key', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=test CA');
  const issue = (name: string, cn: string, ext: string) => {
    key(`${name}.key`);
    openssl('req', '-new', '-key', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`);
    fs.writeFileSync(path.join(dir, `${name}.ext`), ext);
    openssl(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      `${name}.pem`,
      '-days',
      '2',
      '-extfile',
      `${name}.ext`,
    );
  };
  issue('server', 'localhost', 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  issue('named', 'temporal.test', 'subjectAltName=DNS:temporal.test\nextendedKeyUsage=serverAuth\n');
  issue('client', 'delivery-worker', 'extendedKeyUsage=clientAuth\n');
  // A client certificate from a CA the front does not trust.
  openssl(
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    'stranger.key',
    '-out',
    'stranger.pem',
    '-days',
    '2',
    '-subj',
    '/CN=stranger',
  );
  const at = (name: string) => path.join(dir, name);
  return { at, read: (name: string) => fs.readFileSync(at(name)) };
}

type Seen = { clientName?: string; authorization?: string };

/** The TLS front: ends TLS (and checks a client certificate or an API key) and passes calls on. */
async function startTlsFront(
  upstreamAddress: string,
  certs: ReturnType<typeof makeCertificates>,
  check: { clientCertificate: boolean; apiKey?: string; serverCertificate?: 'server' | 'named' },
) {
  const seen: Seen[] = [];
  const upstream = http2.connect(`http://${upstreamAddress}`);
  upstream.on('error', () => undefined);
  const server = http2.createSecureServer({
    key: certs.read(`${check.serverCertificate ?? 'server'}.key`),
    cert: certs.read(`${check.serverCertificate ?? 'server'}.pem`),
    ca: certs.read('ca.pem'),
    requestCert: check.clientCertificate,
    rejectUnauthorized: check.clientCertificate,
  });
  server.on('stream', (stream, headers) => {
    const socket = stream.session?.socket as TLSSocket | undefined;
    const authorization = headers.authorization;
    const subject = socket?.getPeerCertificate().subject as { CN?: string } | undefined;
    seen.push({ clientName: subject?.CN, authorization });
    if (check.apiKey && authorization !== `Bearer ${check.apiKey}`) {
      // A trailers-only answer, as a gRPC server refuses a call (16: UNAUTHENTICATED).
      stream.respond(
        {
          ':status': 200,
          'content-type': 'application/grpc',
          'grpc-status': '16',
          'grpc-message': 'bad key',
        },
        { endStream: true },
      );
      return;
    }
    const forwarded = Object.fromEntries(Object.entries(headers).filter(([k]) => !k.startsWith(':')));
    const call = upstream.request({ ':method': 'POST', ':path': headers[':path'], ...forwarded });
    let trailers: http2.IncomingHttpHeaders = {};
    call.on('trailers', (t) => (trailers = t));
    call.on('response', (answer) => {
      if (answer['grpc-status'] !== undefined) {
        stream.respond(answer, { endStream: true });
        return;
      }
      stream.respond(answer, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers(trailers));
      call.pipe(stream);
    });
    call.on('error', () => stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR));
    stream.on('error', () => call.close(http2.constants.NGHTTP2_CANCEL));
    stream.pipe(call);
  });
  // Closed with the front: server.close() alone would wait for every client to hang up.
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (session) => {
    sessions.add(session);
    session.on('close', () => sessions.delete(session));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    address: `127.0.0.1:${port}`,
    seen,
    async stop() {
      upstream.close();
      for (const session of sessions) session.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('Temporal over TLS, from the settings', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'temporal-tls-'));
  const certs = makeCertificates(dir);
  let temporal: Awaited<ReturnType<typeof startDevTemporal>>;

  beforeAll(async () => {
    quietRuntime();
    temporal = await startDevTemporal();
  });
  afterAll(async () => {
    await temporal?.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const optionsOf = (env: NodeJS.ProcessEnv) => temporalConnectionOptions(loadConfig(env), env);

  /** Both connections, as the worker makes them; answers what the server says of itself. */
  async function connectBoth(env: NodeJS.ProcessEnv) {
    const options = optionsOf(env);
    const client = await Connection.connect({ ...options, connectTimeout: 10_000 });
    try {
      const info = await client.workflowService.getSystemInfo({});
      const native = await NativeConnection.connect(options);
      await native.close();
      return info;
    } finally {
      await client.close();
    }
  }

  it('when the front asks for a client certificate, then the worker and the client present the configured one', async () => {
    const front = await startTlsFront(temporal.address, certs, { clientCertificate: true });
    try {
      const info = await connectBoth({
        TEMPORAL_ADDRESS: front.address,
        TEMPORAL_TLS_SERVER_CA_CERT_PATH: certs.at('ca.pem'),
        TEMPORAL_TLS_CLIENT_CERT_PATH: certs.at('client.pem'),
        TEMPORAL_TLS_CLIENT_KEY_PATH: certs.at('client.key'),
      });
      expect(info.capabilities).toBeTruthy(); // the dev server's own answer, through the front
      expect(front.seen.length).toBeGreaterThanOrEqual(2);
      expect(front.seen.every((s) => s.clientName === 'delivery-worker')).toBe(true);

      // A certificate of another CA, or none: the handshake is refused, nothing reaches the server.
      const before = front.seen.length;
      for (const [cert, key] of [['stranger.pem', 'stranger.key'], []]) {
        const env = {
          TEMPORAL_ADDRESS: front.address,
          TEMPORAL_TLS_SERVER_CA_CERT_PATH: certs.at('ca.pem'),
          ...(cert && {
            TEMPORAL_TLS_CLIENT_CERT_PATH: certs.at(cert),
            TEMPORAL_TLS_CLIENT_KEY_PATH: certs.at(key!),
          }),
        };
        await expect(
          Connection.connect({ ...optionsOf(env), connectTimeout: 3_000 }).then((c) =>
            c.workflowService.getSystemInfo({}).finally(() => c.close()),
          ),
        ).rejects.toThrow();
        await expect(NativeConnection.connect(optionsOf(env))).rejects.toThrow();
      }
      expect(front.seen.length).toBe(before);

      // A key that is not the certificate's: refused at start, naming it, before any connection.
      expect(() =>
        optionsOf({
          TEMPORAL_ADDRESS: front.address,
          TEMPORAL_TLS_CLIENT_CERT_PATH: certs.at('client.pem'),
          TEMPORAL_TLS_CLIENT_KEY_PATH: certs.at('stranger.key'),
        }),
      ).toThrow(/TEMPORAL_TLS_CLIENT_KEY_PATH \(.*stranger.key\): is not the key of the client certificate/);
    } finally {
      await front.stop();
    }
  });

  it('when the front asks for an API key, then every call carries the configured one', async () => {
    const front = await startTlsFront(temporal.address, certs, { clientCertificate: false, apiKey: 'k-123' });
    try {
      const env = { TEMPORAL_ADDRESS: front.address, TEMPORAL_TLS_SERVER_CA_CERT_PATH: certs.at('ca.pem') };
      await connectBoth({ ...env, TEMPORAL_API_KEY: 'k-123' });
      expect(front.seen.length).toBeGreaterThanOrEqual(2);
      expect(front.seen.every((s) => s.authorization === 'Bearer k-123')).toBe(true);

      // Another key: the front refuses each call, and both connections say so.
      const wrong = optionsOf({ ...env, TEMPORAL_API_KEY: 'wrong' });
      const client = Connection.lazy(wrong);
      try {
        await expect(
          client.withDeadline(Date.now() + 10_000, () => client.workflowService.getSystemInfo({})),
        ).rejects.toThrow(/bad key/);
      } finally {
        await client.close();
      }
      await expect(NativeConnection.connect(wrong)).rejects.toThrow(/bad key/);
      expect(front.seen.filter((s) => s.authorization === 'Bearer wrong').length).toBeGreaterThanOrEqual(2);
    } finally {
      await front.stop();
    }
  });

  it('when the server name differs from the address, then TEMPORAL_TLS_SERVER_NAME is what is checked', async () => {
    const front = await startTlsFront(temporal.address, certs, {
      clientCertificate: false,
      serverCertificate: 'named',
    });
    try {
      // Reached at an address its certificate does not name: refused, unless the name to check is given.
      const env = {
        TEMPORAL_ADDRESS: front.address,
        TEMPORAL_TLS_SERVER_CA_CERT_PATH: certs.at('ca.pem'),
      };
      await expect(
        Connection.connect({ ...optionsOf(env), connectTimeout: 3_000 }).then((c) =>
          c.workflowService.getSystemInfo({}).finally(() => c.close()),
        ),
      ).rejects.toThrow();
      expect(front.seen).toHaveLength(0);
      await connectBoth({ ...env, TEMPORAL_TLS_SERVER_NAME: 'temporal.test' });
      expect(front.seen.length).toBeGreaterThanOrEqual(2);
    } finally {
      await front.stop();
    }
  });
});
