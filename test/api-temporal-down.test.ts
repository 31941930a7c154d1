/**
 * A send while Temporal is unreachable: 503 in our words (Temporal's error only in the log), the
 * mailing a draft again, nothing else changed.
 */
import { Connection } from '@temporalio/client';
import { startApi, type RunningApi } from '../api/server';
import { createAccount } from '../db/accounts';
import { ensureSendingDomain } from '../dev/fixture-domain';
import { createTestDatabase, type TestDatabase } from './support/database';
import { fingerprint } from './support/fingerprint';
import { freePort } from '../dev/ports';

let t: TestDatabase;
let api: RunningApi;
let temporal: Connection;
let key: string;
beforeAll(async () => {
  t = await createTestDatabase();
  temporal = Connection.lazy({ address: `127.0.0.1:${await freePort()}` });
  api = await startApi({ db: t.db, temporal, checkResponses: true }, 0);
  const account = await createAccount(t.db, 'down');
  key = account.key;
  await ensureSendingDomain(t.db, account.id, 'sender.example');
});
afterAll(async () => {
  await api?.stop();
  await temporal?.close();
  await t?.drop();
});

async function call(
  method: string,
  path: string,
  body?: unknown,
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the test checks the shape
): Promise<{ status: number; headers: Headers; body: any }> {
  const res = await fetch(`${api.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, body: await res.json() };
}

test("send → 503 in our words, Temporal's error only in the log; the mailing is a draft again, nothing changes", async () => {
  const group = (await call('POST', '/v1/groups', { name: 'G' })).body;
  const contact = (await call('POST', '/v1/contacts', { email: 'ann@ok.test' })).body;
  await call('POST', `/v1/groups/${group.id}/members`, { contactIds: [contact.id] });
  const mailing = (
    await call('POST', '/v1/mailings', {
      name: 'M',
      fromEmail: 'news@sender.example',
      subject: 'S',
      text: 'T',
      groupIds: [group.id],
    })
  ).body;
  const before = await fingerprint(t.db);
  const logged = jest.spyOn(console, 'error').mockImplementation(() => {});
  let res: Awaited<ReturnType<typeof call>>;
  let logs: unknown[][];
  try {
    res = await call('POST', `/v1/mailings/${mailing.id}/send`);
  } finally {
    logs = logged.mock.calls.slice();
    logged.mockRestore();
  }
  expect(res.status).toBe(503);
  expect(res.headers.get('retry-after')).toBe('5');
  expect(res.body.error).toMatchObject({ code: 'unavailable' });
  expect(res.body.error.message).toBe(
    'Temporal did not accept the mailing in time: nothing was sent and the mailing is a draft again. Try again shortly.',
  );
  // Temporal's own error is in the server's log, not in the answer.
  const raw = logs.flat().find((a): a is Error => typeof (a as Error | undefined)?.message === 'string');
  expect(raw?.message).toBeTruthy();
  expect(res.body.error.message).not.toContain(raw!.message);
  expect(res.body.error.details).toEqual([]);
  expect(res.body.error.message).not.toMatch(/deadline|UNAVAILABLE|ECONNREFUSED|grpc|127\.0\.0\.1/i);
  expect(await fingerprint(t.db)).toEqual(before);
  expect((await call('GET', `/v1/mailings/${mailing.id}`)).body.status).toBe('draft');
});
