/**
 * The API over HTTP on top of the delivery harness: a running worker, the Express app on a free
 * port, and two accounts with their keys (the second one to prove isolation).
 */
import { startApi, type RunningApi } from '../../api/server';
import { createAccount } from '../../db/accounts';
import { ensureSendingDomain, FIXTURE_DKIM_KEY_SECRET } from '../../dev/fixture-domain';
import { createHarness, type Harness, TEST_RETURN_PATH } from './delivery-harness';

export type ApiHarness = Harness & {
  api: RunningApi;
  key: string;
  otherKey: string;
  call(
    method: string,
    path: string,
    body?: unknown,
    opts?: { key?: string | null; raw?: string },
  ): Promise<Reply>;
  stop(): Promise<void>;
};
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the tests check the shape
export type Reply = { status: number; body: any };

/** `dnsServer`: the DNS_SERVER of the API (sending-domain verification); unset, the system's. */
export async function createApiHarness(opts: { dnsServer?: string } = {}): Promise<ApiHarness> {
  const h = await createHarness();
  const worker = await h.newWorker();
  const running = worker.run();
  const api = await startApi(
    {
      db: h.t.db,
      temporal: h.env.connection,
      namespace: h.env.namespace ?? 'default',
      taskQueue: h.taskQueue,
      // Every answer of every API test is checked against its route's response schema.
      checkResponses: true,
      // The worker signs its messages' unsubscribe tokens with the same secret.
      unsubscribeSecret: TEST_RETURN_PATH.secret,
      dkimKeySecret: FIXTURE_DKIM_KEY_SECRET,
      ...(opts.dnsServer && { dnsServer: opts.dnsServer }),
      mailHost: 'mta.test.localhost',
    },
    0,
  );
  const [{ id: firstId, key }, { id: otherId, key: otherKey }] = await Promise.all([
    createAccount(h.t.db, `first-${h.taskQueue}`),
    createAccount(h.t.db, `second-${h.taskQueue}`),
  ]);
  // Mailings are sent from verified domains only: each account has one (test/sending-domains.test.ts
  // verifies domains the real way, through DNS).
  await ensureSendingDomain(h.t.db, firstId, 'sender.example');
  await ensureSendingDomain(h.t.db, otherId, 'other.example');
  return {
    ...h,
    api,
    key,
    otherKey,
    async call(method, path, body, opts = {}) {
      const k = opts.key === undefined ? key : opts.key;
      const res = await fetch(`${api.url}${path}`, {
        method,
        headers: {
          ...(k !== null && { authorization: `Bearer ${k}` }),
          ...((body !== undefined || opts.raw !== undefined) && { 'content-type': 'application/json' }),
        },
        body: opts.raw ?? (body === undefined ? undefined : JSON.stringify(body)),
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : null };
    },
    async stop() {
      await api.stop();
      worker.shutdown();
      await running;
      await h.teardown();
    },
  };
}
