/**
 * Addresses over HTTP: one mailbox is one contact whatever its spelling (full-width domain, letter
 * case, IDN), invisible and bidirectional characters are refused with a 400 that says so, and the
 * import counts each spelling as created, existing or invalid.
 */
import { type ApiHarness, createApiHarness } from './support/api-harness';
import { fingerprint } from './support/fingerprint';

let h: ApiHarness;
beforeAll(async () => {
  h = await createApiHarness();
});
afterAll(async () => {
  await h?.stop();
});

test('the same mailbox spelled three ways: one contact, a 409 for the full-width domain, a 400 naming the zero-width space', async () => {
  const created = await h.call('POST', '/v1/contacts', { email: 'dup@ok.test' });
  expect(created.status).toBe(201);
  expect(created.body.email).toBe('dup@ok.test');

  const before = await fingerprint(h.t.db);
  const fullWidth = await h.call('POST', '/v1/contacts', { email: 'dup@ｏｋ.test' });
  expect(fullWidth.status).toBe(409);
  expect(fullWidth.body.error.code).toBe('conflict');
  const upper = await h.call('POST', '/v1/contacts', { email: 'DUP@OK.TEST' });
  expect(upper.status).toBe(409);
  const zwsp = await h.call('POST', '/v1/contacts', { email: 'dup@ok.test\u200b' });
  expect(zwsp.status).toBe(400);
  expect(zwsp.body.error.details).toEqual([
    { field: 'email', message: 'contains an invisible character (U+200B)' },
  ]);
  const bidi = await h.call('POST', '/v1/contacts', { email: 'dup\u202e@ok.test' });
  expect(bidi.status).toBe(400);
  expect(bidi.body.error.details).toEqual([
    { field: 'email', message: 'contains a bidirectional control character (U+202E)' },
  ]);
  expect(await fingerprint(h.t.db)).toEqual(before);

  const all = (await h.call('GET', '/v1/contacts?limit=1000')).body.items;
  expect(all.filter((c: { email: string }) => /^dup@/i.test(c.email))).toHaveLength(1);
});

test('stored as written for sending: letter case of the local part kept, NFC, the domain in ASCII', async () => {
  const res = await h.call('POST', '/v1/contacts', { email: 'Rene\u0301.Lee@BÜCHER.example' });
  expect(res.status).toBe(201);
  expect(res.body.email).toBe('Ren\u00e9.Lee@xn--bcher-kva.example');
  expect((await h.call('POST', '/v1/contacts', { email: 'rené.lee@xn--bcher-kva.example' })).status).toBe(
    409,
  );
});

test('an import of the three spellings: 1 created, the full-width one existing, the zero-width one invalid', async () => {
  const group = (await h.call('POST', '/v1/groups', { name: 'Imported' })).body.id;
  const res = await h.call('POST', '/v1/contacts/import', {
    groupId: group,
    contacts: [
      { email: 'imp@ok.test' },
      { email: 'imp@ｏｋ.test' },
      { email: 'imp@ok.test\u200b' },
      { email: 'IMP@ok.test' },
    ],
  });
  expect(res).toEqual({
    status: 200,
    body: {
      created: 1,
      existing: 2,
      invalid: [
        { index: 2, email: 'imp@ok.test\u200b', message: 'email: contains an invisible character (U+200B)' },
      ],
    },
  });
  const members = (await h.call('GET', `/v1/groups/${group}/members`)).body.items;
  expect(members.map((c: { email: string }) => c.email)).toEqual(['imp@ok.test']);

  // Again, an existing contact under another spelling joins the group it is imported into.
  const other = (await h.call('POST', '/v1/groups', { name: 'Again' })).body.id;
  const again = await h.call('POST', '/v1/contacts/import', {
    groupId: other,
    contacts: [{ email: 'Imp@ＯＫ.test' }],
  });
  expect(again.body).toEqual({ created: 0, existing: 1, invalid: [] });
  expect(
    (await h.call('GET', `/v1/groups/${other}/members`)).body.items.map((c: { email: string }) => c.email),
  ).toEqual(['imp@ok.test']);
});

test('PATCH: to another contact’s mailbox in another spelling is a 409; to its own in another letter case is kept as written', async () => {
  await h.call('POST', '/v1/contacts', { email: 'taken@ok.test' });
  const mine = (await h.call('POST', '/v1/contacts', { email: 'mine@ok.test' })).body.id;

  const before = await fingerprint(h.t.db);
  for (const email of ['taken@ｏｋ.test', 'TAKEN@ok.test']) {
    const res = await h.call('PATCH', `/v1/contacts/${mine}`, { email });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('conflict');
  }
  const invisible = await h.call('PATCH', `/v1/contacts/${mine}`, { email: 'mine@ok.test\u2060' });
  expect(invisible.status).toBe(400);
  expect(invisible.body.error.details).toEqual([
    { field: 'email', message: 'contains an invisible character (U+2060)' },
  ]);
  expect(await fingerprint(h.t.db)).toEqual(before);

  const recased = await h.call('PATCH', `/v1/contacts/${mine}`, { email: 'Mine@ok.test' });
  expect(recased.status).toBe(200);
  expect(recased.body.email).toBe('Mine@ok.test');
});

test('a correction needs another mailbox: the address that bounced in another letter case is a 422, with or without status, and nothing changes', async () => {
  const group = (await h.call('POST', '/v1/groups', { name: 'Bounced' })).body.id;
  const id = (await h.call('POST', '/v1/contacts', { email: 'gone@unknown.test' })).body.id;
  await h.call('POST', `/v1/groups/${group}/members`, { contactIds: [id] });
  // What a hard bounce does (db/contacts.ts markIncorrect), without sending.
  await h.t.db
    .updateTable('contacts')
    .set({ status: 'incorrect', incorrect_reason: 'user_unknown', incorrect_since: new Date() })
    .where('id', '=', id)
    .execute();
  await h.t.db.insertInto('removed_group_members').values({ contact_id: id, group_id: group }).execute();
  await h.t.db.deleteFrom('group_members').where('contact_id', '=', id).execute();

  // Asked to be active with the mailbox that bounced: a 422 that says so, nothing changed.
  const before = await fingerprint(h.t.db);
  const same = await h.call('PATCH', `/v1/contacts/${id}`, { email: 'GONE@unknown.test', status: 'active' });
  expect(same.status).toBe(422);
  expect(same.body.error.details).toEqual([
    { field: 'email', message: 'is the incorrect address itself, not a correction' },
  ]);
  expect(await fingerprint(h.t.db)).toEqual(before);

  // Another spelling alone is no correction either: refused, not stored as if it were one.
  const recased = await h.call('PATCH', `/v1/contacts/${id}`, { email: 'Gone@UNKNOWN.test' });
  expect(recased.status).toBe(422);
  expect(recased.body.error.details).toEqual([
    { field: 'email', message: 'is the incorrect address itself, not a correction' },
  ]);
  expect(await fingerprint(h.t.db)).toEqual(before);
  // The same spelling again changes nothing and is no error.
  expect((await h.call('PATCH', `/v1/contacts/${id}`, { email: 'gone@unknown.test' })).status).toBe(200);
  const corrected = await h.call('PATCH', `/v1/contacts/${id}`, { email: 'gone@ok.test' });
  expect(corrected.body).toMatchObject({ email: 'gone@ok.test', status: 'active', groupIds: [group] });
});
