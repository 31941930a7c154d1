/** The contact import at its documented size: 100,000 contacts in one call, into a group. */
import { type ApiHarness, createApiHarness } from './support/api-harness';

let h: ApiHarness;
beforeAll(async () => {
  h = await createApiHarness();
});
afterAll(async () => {
  await h?.stop();
});

test('100,000 contacts in one call: all created, all in the group; the same call again finds them all', async () => {
  const group = (await h.call('POST', '/v1/groups', { name: 'Imported' })).body;
  const contacts = Array.from({ length: 100_000 }, (_, i) => ({
    email: `person.${i}@ok.test`,
    firstName: `First${i}`,
    lastName: `Last${i}`,
  }));
  const first = await h.call('POST', '/v1/contacts/import', { contacts, groupId: group.id });
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
