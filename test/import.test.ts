/** The contact import at its documented size: 100,000 contacts in one call, into a group. */
import { until } from '../dev/until';
import { type ApiHarness, createApiHarness } from './support/api-harness';

let h: ApiHarness;
beforeAll(async () => {
  h = await createApiHarness();
});
afterAll(async () => {
  await h?.stop();
});

test('100,000 contacts in one call: all created, all in the group, one import of the account at a time; the same call again finds them all', async () => {
  const group = (await h.call('POST', '/v1/groups', { name: 'Imported' })).body;
  const contacts = Array.from({ length: 100_000 }, (_, i) => ({
    email: `person.${i}@ok.test`,
    firstName: `First${i}`,
    lastName: `Last${i}`,
  }));
  const running = h.call('POST', '/v1/contacts/import', { contacts, groupId: group.id });
  // Once it writes (its first batch committed, 99 to go), a second import of the account waits its
  // turn with a 429; another account's import runs beside it.
  await until(
    async () => (await h.call('GET', `/v1/groups/${group.id}`)).body.memberCount > 0,
    'the import writing',
    {
      timeoutMs: 60_000,
      everyMs: 10,
    },
  );
  const second = await h.call('POST', '/v1/contacts/import', { contacts: [{ email: 'late@ok.test' }] });
  expect(second.status).toBe(429);
  expect(second.body.error.message).toMatch(/import running/);
  const other = await h.call(
    'POST',
    '/v1/contacts/import',
    { contacts: [{ email: 'other@ok.test' }] },
    { key: h.otherKey },
  );
  expect(other).toEqual({ status: 200, body: { created: 1, existing: 0, invalid: [] } });
  const first = await running;
  expect(first).toEqual({ status: 200, body: { created: 100_000, existing: 0, invalid: [] } });
  expect((await h.call('GET', `/v1/groups/${group.id}`)).body.memberCount).toBe(100_000);
  const again = await h.call('POST', '/v1/contacts/import', { contacts, groupId: group.id });
  expect(again).toEqual({ status: 200, body: { created: 0, existing: 100_000, invalid: [] } });

  const tooMany = await h.call('POST', '/v1/contacts/import', {
    contacts: [...contacts, { email: 'x@ok.test' }],
  });
  expect(tooMany.status).toBe(400);
  expect(tooMany.body.error.details[0].field).toBe('contacts');
});

test('a client that hangs up mid-import does not free its slot: the next import waits until the work is done', async () => {
  const group = (await h.call('POST', '/v1/groups', { name: 'Abandoned' })).body;
  const contacts = Array.from({ length: 100_000 }, (_, i) => ({ email: `gone.${i}@ok.test` }));
  const hangUp = new AbortController();
  const abandoned = fetch(`${h.api.url}/v1/contacts/import`, {
    method: 'POST',
    headers: { authorization: `Bearer ${h.key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ contacts, groupId: group.id }),
    signal: hangUp.signal,
  }).catch(() => null);
  const members = async () => (await h.call('GET', `/v1/groups/${group.id}`)).body.memberCount as number;
  await until(async () => (await members()) > 0, 'the import writing', { timeoutMs: 60_000, everyMs: 10 });
  hangUp.abort();
  await abandoned;
  // Time for the server to see the hang-up (its response 'close'), well within the 99 batches left.
  await new Promise((resolve) => setTimeout(resolve, 500));
  const meanwhile = await h.call('POST', '/v1/contacts/import', { contacts: [{ email: 'next@ok.test' }] });
  expect(meanwhile.status).toBe(429);
  // The work goes on without its client, to the end; then the account may import again.
  await until(async () => (await members()) === 100_000, 'the abandoned import done', {
    timeoutMs: 120_000,
    everyMs: 50,
  });
  await until(
    async () =>
      (await h.call('POST', '/v1/contacts/import', { contacts: [{ email: 'next@ok.test' }] })).status === 200,
    'the slot freed',
    { timeoutMs: 10_000, everyMs: 50 },
  );
});

test('an invalid row says in words what is wrong with which field, as a single contact would', async () => {
  const res = await h.call('POST', '/v1/contacts/import', {
    contacts: [
      { email: 'long.name@ok.test', firstName: 'x'.repeat(201) },
      { email: 'no.email.here' },
      { firstName: 'Nobody' },
      { email: 'ok.row@ok.test', lastName: 42 },
    ],
  });
  expect(res.status).toBe(200);
  expect(res.body.invalid.map((r: { message: string }) => r.message)).toEqual([
    'firstName: is longer than 200 characters',
    expect.stringMatching(/^email: /),
    'email: is required',
    'lastName: must be a string or null',
  ]);
});
