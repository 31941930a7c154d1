/**
 * Rate limits over HTTP: guessed keys are cut off hardest (per client address), a good key has its
 * own limit, every client address one too; each answers 429 in the error shape with Retry-After, and
 * each comes back once its bucket has refilled.
 */
import { Connection } from '@temporalio/client';
import type { RateLimits } from '../api/rate-limit';
import { type RunningApi, startApi } from '../api/server';
import { createAccount } from '../db/accounts';
import { freePort } from '../dev/ports';
import { createTestDatabase, type TestDatabase } from './support/database';

let t: TestDatabase;
let temporal: Connection;
let keys: [string, string];
beforeAll(async () => {
  t = await createTestDatabase();
  // No route here reaches Temporal.
  temporal = Connection.lazy({ address: `127.0.0.1:${await freePort()}` });
  const [a, b] = await Promise.all([createAccount(t.db, 'first'), createAccount(t.db, 'second')]);
  keys = [a.key, b.key];
});
afterAll(async () => {
  await temporal?.close();
  await t?.drop();
});

const OPEN = { perSecond: 1_000, burst: 1_000 };

async function withApi(
  rateLimits: Partial<RateLimits> | undefined,
  run: (api: RunningApi) => Promise<void>,
  trustProxy?: string | number,
) {
  const api = await startApi(
    {
      db: t.db,
      temporal,
      checkResponses: true,
      ...(rateLimits && { rateLimits: { perKey: OPEN, perClient: OPEN, failedAuth: OPEN, ...rateLimits } }),
      ...(trustProxy !== undefined && { trustProxy }),
    },
    0,
  );
  try {
    await run(api);
  } finally {
    await api.stop();
  }
}

async function get(api: RunningApi, key: string | null, path = '/v1/groups') {
  const res = await fetch(`${api.url}${path}`, {
    headers: key === null ? {} : { authorization: `Bearer ${key}` },
  });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the test checks the shape
  return { status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as any };
}

const guess = (i: number) => `dk_guess_${String(i).padStart(40, '0')}`;

function expectRateLimited(res: Awaited<ReturnType<typeof get>>) {
  expect(res.status).toBe(429);
  expect(res.body.error).toMatchObject({ code: 'rate_limited', message: expect.any(String) });
  expect(Array.isArray(res.body.error.details)).toBe(true);
  expect(Number(res.retryAfter)).toBeGreaterThanOrEqual(1);
  expect(String(Number(res.retryAfter))).toBe(res.retryAfter);
}

test('when 60 guessed keys come in a row with the default limits, then the first 30 get 401 and the rest 429 with Retry-After', async () => {
  await withApi(undefined, async (api) => {
    const statuses: number[] = [];
    let last: Awaited<ReturnType<typeof get>> | undefined;
    const started = performance.now();
    for (let i = 0; i < 60; i++) {
      last = await get(api, guess(i));
      statuses.push(last.status);
    }
    // 30 failures a minute refill one every 2 s: a slow machine may earn one more lookup.
    const earned = Math.floor((performance.now() - started) / 2_000);
    expect(statuses.slice(0, 30)).toEqual(Array(30).fill(401));
    expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(30 + earned);
    expect(statuses.filter((s) => s !== 401 && s !== 429)).toEqual([]);
    expectRateLimited(last!);
    expect(['1', '2']).toContain(last!.retryAfter);
  });
});

test('when keys are guessed at once, then no more lookups are made than the limit allows', async () => {
  await withApi({ failedAuth: { perSecond: 0.01, burst: 5 } }, async (api) => {
    const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => get(api, guess(i))));
    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((s) => s === 401)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(35);
  });
});

test('when a client has guessed too often, then a key this process knows still works from there, a key it does not know waits', async () => {
  await withApi({ failedAuth: { perSecond: 0.01, burst: 3 } }, async (api) => {
    expect((await get(api, keys[0])).status).toBe(200); // known from now on
    for (let i = 0; i < 3; i++) expect((await get(api, guess(i))).status).toBe(401);
    expectRateLimited(await get(api, guess(3)));
    expect((await get(api, keys[0])).status).toBe(200);
    expectRateLimited(await get(api, keys[1]));
    // No key at all costs no lookup: still 401, never counted as a guess.
    expect((await get(api, null)).status).toBe(401);
  });
});

test('when one key goes over its limit, then it gets 429 while another key from the same client does not', async () => {
  await withApi({ perKey: { perSecond: 0.01, burst: 3 } }, async (api) => {
    for (let i = 0; i < 3; i++) expect((await get(api, keys[0])).status).toBe(200);
    const limited = await get(api, keys[0]);
    expectRateLimited(limited);
    expect(limited.body.error.message).toMatch(/API key/);
    expect((await get(api, keys[1])).status).toBe(200);
  });
});

test('when one client goes over its limit, then it gets 429 whatever the key, and unauthenticated routes still answer', async () => {
  await withApi({ perClient: { perSecond: 0.01, burst: 4 } }, async (api) => {
    for (const key of [keys[0], keys[1], keys[0], keys[1]]) expect((await get(api, key)).status).toBe(200);
    expectRateLimited(await get(api, keys[0]));
    expectRateLimited(await get(api, keys[1]));
    expectRateLimited(await get(api, null));
    expect((await get(api, null, '/v1/openapi.json')).status).toBe(200);
  });
});

test('when the buckets have refilled, then the limits reset: the same key and the same guesser are answered again', async () => {
  await withApi(
    // One token a second: the third request finds none however slow the machine is (it would need a
    // whole second for two requests), and the wait below gives two back.
    { perKey: { perSecond: 1, burst: 2 }, failedAuth: { perSecond: 1, burst: 2 } },
    async (api) => {
      for (let i = 0; i < 2; i++) expect((await get(api, keys[0])).status).toBe(200);
      expectRateLimited(await get(api, keys[0]));
      for (let i = 0; i < 2; i++) expect((await get(api, guess(i))).status).toBe(401);
      expectRateLimited(await get(api, guess(2)));
      await new Promise((r) => setTimeout(r, 2_100)); // a token a second: two back
      expect((await get(api, keys[0])).status).toBe(200);
      expect((await get(api, guess(3))).status).toBe(401);
    },
  );
});

test('when the API trusts its proxy, then each client named in X-Forwarded-For has its own budget; when not, the header changes nothing', async () => {
  const guessFrom = async (api: RunningApi, client: string, i: number) =>
    (
      await fetch(`${api.url}/v1/groups`, {
        headers: { authorization: `Bearer ${guess(i)}`, 'x-forwarded-for': client },
      })
    ).status;
  const failedAuth = { perSecond: 0.01, burst: 2 };
  // Not trusted (the default): a client cannot buy a fresh budget by naming another address.
  await withApi({ failedAuth }, async (api) => {
    expect([await guessFrom(api, '192.0.2.1', 0), await guessFrom(api, '192.0.2.1', 1)]).toEqual([401, 401]);
    expect(await guessFrom(api, '192.0.2.1', 2)).toBe(429);
    expect(await guessFrom(api, '192.0.2.2', 3)).toBe(429);
  });
  // Behind a trusted proxy on loopback: the client it names is the one counted.
  await withApi(
    { failedAuth },
    async (api) => {
      expect([await guessFrom(api, '192.0.2.1', 0), await guessFrom(api, '192.0.2.1', 1)]).toEqual([
        401, 401,
      ]);
      expect(await guessFrom(api, '192.0.2.1', 2)).toBe(429);
      expect(await guessFrom(api, '192.0.2.2', 3)).toBe(401);
      // The proxy appends the peer it saw: what the client wrote before it is not believed.
      expect(await guessFrom(api, '192.0.2.9, 192.0.2.1', 4)).toBe(429);
    },
    'loopback',
  );
});
