/** A send while Temporal is unreachable: 503, the mailing stays a draft, nothing else changes. */
import { Connection } from '@temporalio/client';
import { startApi, type RunningApi } from '../api/server';
import { createAccount } from '../db/accounts';
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
  ({ key } = await createAccount(t.db, 'down'));
});
afterAll(async () => {
  await api?.stop();
  await temporal?.close();
  await t?.drop();
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the test checks the shape
async function call(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${api.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

test('send → 503 naming Temporal; the mailing stays a draft, nothing changes', async () => {
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
  const res = await call('POST', `/v1/mailings/${mailing.id}/send`);
  expect(res.status).toBe(503);
  expect(res.body.error).toMatchObject({ code: 'unavailable' });
  expect(res.body.error.message).toContain('Temporal');
  expect(await fingerprint(t.db)).toEqual(before);
  expect((await call('GET', `/v1/mailings/${mailing.id}`)).body.status).toBe('draft');
});
