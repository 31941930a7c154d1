/**
 * One-click unsubscribe over HTTP (RFC 8058): the headers of a delivered message, the confirmation
 * page a GET shows (and that changes nothing), the POST that unsubscribes, once, and forged tokens.
 */
import { FIXTURE_DKIM_KEY_SECRET } from '../dev/fixture-domain';
import { createMessageBuilder } from '../activities/message';
import { tokenFor } from '../inbound/unsubscribe-token';
import { type ApiHarness, createApiHarness } from './support/api-harness';
import { TEST_PUBLIC_URL, TEST_RETURN_PATH } from './support/delivery-harness';

let h: ApiHarness;
beforeAll(async () => {
  h = await createApiHarness();
});
afterAll(async () => {
  await h?.stop();
});

async function ok(method: string, path: string, body?: unknown, status = 200) {
  const res = await h.call(method, path, body);
  if (res.status !== status) throw new Error(`${method} ${path} → ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

async function sendAndWait(mailingId: string) {
  await ok('POST', `/v1/mailings/${mailingId}/send`, undefined, 202);
  await h.env.client.workflow.getHandle(`mailing-${mailingId}`).result();
}

async function newMailing(groupId: string, name: string) {
  const body = { name, fromEmail: 'news@sender.example', subject: 'Hello', text: 'Hi', groupIds: [groupId] };
  return (await ok('POST', '/v1/mailings', body, 201)).id as string;
}

/** A call without a key, as a mail client or a browser makes it. */
async function raw(method: 'GET' | 'POST', path: string, body?: string) {
  const res = await fetch(`${h.api.url}${path}`, {
    method,
    ...(body !== undefined && {
      body,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    }),
  });
  return { status: res.status, type: res.headers.get('content-type') ?? '', text: await res.text() };
}

const digest = async (mailingId: string, contactId: string) => ({
  stats: await ok('GET', `/v1/mailings/${mailingId}/stats`),
  contact: await ok('GET', `/v1/contacts/${contactId}`),
});

test('a delivered message can be unsubscribed in one click, once; a GET or a forged token changes nothing', async () => {
  const group = await ok('POST', '/v1/groups', { name: 'Unsubscribe news' }, 201);
  const ann = await ok('POST', '/v1/contacts', { email: 'ann.unsub@ok.test' }, 201);
  const bob = await ok('POST', '/v1/contacts', { email: 'bob.unsub@ok.test' }, 201);
  await ok('POST', `/v1/groups/${group.id}/members`, { contactIds: [ann.id, bob.id] });
  const mailingId = await newMailing(group.id, 'First');
  await sendAndWait(mailingId);
  const recipients = (await ok('GET', `/v1/mailings/${mailingId}/recipients`)).items;
  const delivery = recipients.find((r: { contactId: string }) => r.contactId === ann.id);
  expect(delivery).toMatchObject({ status: 'delivered' });
  const token = tokenFor(delivery.deliveryId, TEST_RETURN_PATH.secret);

  // The headers every message carries (the builder the worker sends with).
  const message = await createMessageBuilder({
    db: h.t.db,
    dkimKeySecret: FIXTURE_DKIM_KEY_SECRET,
    returnPath: TEST_RETURN_PATH,
    publicUrl: `${TEST_PUBLIC_URL}/`,
  })({ deliveryId: delivery.deliveryId, mailingId, email: ann.email });
  expect(message.headers).toMatchObject({
    'List-Unsubscribe': `<${TEST_PUBLIC_URL}/u/${token}>, <mailto:unsubscribe+${token}@${TEST_RETURN_PATH.domain}>`,
    'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
  });

  // GET: a page with the masked address and a button; nothing changes.
  const before = await digest(mailingId, ann.id);
  expect(before.contact.status).toBe('active');
  const page = await raw('GET', `/u/${token}`);
  expect(page.status).toBe(200);
  expect(page.type).toMatch(/^text\/html/);
  expect(page.text).toContain('a***@ok.test');
  expect(page.text).not.toContain('ann.unsub');
  expect(page.text).toContain(`<form method="post" action="/u/${token}">`);
  expect(page.text).not.toMatch(/<script/i);
  expect(await digest(mailingId, ann.id)).toEqual(before);

  // Forged, altered, cut, another delivery's signature, and a token naming no delivery: 404.
  const sig = token.split('.')[1]!;
  const other = recipients.find((r: { contactId: string }) => r.contactId === bob.id).deliveryId;
  for (const bad of [
    `${delivery.deliveryId}.${'a'.repeat(26)}`,
    `${delivery.deliveryId}.${sig.slice(0, -1)}${sig.endsWith('a') ? 'b' : 'a'}`,
    `${delivery.deliveryId}.${sig.slice(0, 20)}`,
    `${other}.${sig}`,
    tokenFor('999999999', TEST_RETURN_PATH.secret),
    'nonsense',
  ]) {
    const post = await raw('POST', `/u/${encodeURIComponent(bad)}`, 'List-Unsubscribe=One-Click');
    expect({ bad, status: post.status }).toEqual({ bad, status: 404 });
    expect(JSON.parse(post.text)).toMatchObject({ error: { code: 'not_found' } });
    const get = await raw('GET', `/u/${encodeURIComponent(bad)}`);
    expect({ bad, status: get.status, type: get.type }).toEqual({
      bad,
      status: 404,
      type: expect.stringMatching(/^text\/html/),
    });
  }
  expect(await digest(mailingId, ann.id)).toEqual(before);
  expect((await ok('GET', `/v1/contacts/${bob.id}`)).status).toBe('active');

  // The one-click POST of RFC 8058: unsubscribed, counted once; a second POST (empty body) changes nothing.
  const done = await raw('POST', `/u/${token}`, 'List-Unsubscribe=One-Click');
  expect(done.status).toBe(200);
  expect(done.type).toMatch(/^text\/html/);
  expect(done.text).toContain('You are unsubscribed');
  const after = await digest(mailingId, ann.id);
  expect(after.contact.status).toBe('unsubscribed');
  expect(after.stats).toEqual({ ...before.stats, unsubscribed: 1 });
  const again = await fetch(`${h.api.url}/u/${token}`, { method: 'POST' });
  expect(again.status).toBe(200);
  expect(await digest(mailingId, ann.id)).toEqual(after);
  expect((await raw('GET', `/u/${token}`)).text).toContain('is unsubscribed');

  const listed = (await ok('GET', '/v1/contacts?status=unsubscribed&limit=1000')).items;
  expect(listed.map((c: { id: string }) => c.id)).toContain(ann.id);
  expect(listed.map((c: { id: string }) => c.id)).not.toContain(bob.id);

  // A second mailing to the group leaves the unsubscribed contact out.
  const second = await newMailing(group.id, 'Second');
  await sendAndWait(second);
  const secondRecipients = (await ok('GET', `/v1/mailings/${second}/recipients`)).items;
  expect(secondRecipients.map((r: { contactId: string }) => r.contactId)).toEqual([bob.id]);
});
