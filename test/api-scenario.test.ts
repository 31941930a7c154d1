/**
 * The seed scenario of the product, over HTTP against real servers: a group with one contact at
 * each of ok / unknown / full / busy / blocked, sent; two days skipped; statistics, incorrect
 * addresses, greyed recipients, technical problems into a new group, a second mailing, a correction.
 */
import { type ApiHarness, createApiHarness } from './support/api-harness';

let h: ApiHarness;
beforeAll(async () => {
  h = await createApiHarness();
});
afterAll(async () => {
  await h?.stop();
});

const DOMAINS = ['ok.test', 'unknown.test', 'full.test', 'busy.test', 'blocked.test'] as const;

async function ok(method: string, path: string, body?: unknown, status = 200) {
  const res = await h.call(method, path, body);
  if (res.status !== status) throw new Error(`${method} ${path} → ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

async function sendAndWait(mailingId: string) {
  expect(await ok('POST', `/v1/mailings/${mailingId}/send`, undefined, 202)).toEqual({
    id: mailingId,
    status: 'sending',
  });
  // Waiting on the mailing workflow lets the time-skipping server jump over the 3–4 h waits.
  await h.env.client.workflow.getHandle(`mailing-${mailingId}`).result();
}

async function allItems(path: string) {
  const items = [];
  let cursor: string | null = null;
  do {
    const sep = path.includes('?') ? '&' : '?';
    const pageBody = await ok('GET', `${path}${cursor ? `${sep}cursor=${cursor}` : ''}`);
    items.push(...pageBody.items);
    cursor = pageBody.nextCursor;
  } while (cursor);
  return items;
}

test('the whole seed scenario', async () => {
  const group = await ok('POST', '/v1/groups', { name: 'Newsletter' }, 201);
  const contacts: Record<string, { id: string; email: string }> = {};
  for (const domain of DOMAINS) {
    const c = await ok(
      'POST',
      '/v1/contacts',
      { email: `  Anna.${domain.split('.')[0]}@${domain.toUpperCase()} ` },
      201,
    );
    expect(c.email).toBe(`Anna.${domain.split('.')[0]}@${domain}`);
    contacts[domain] = c;
  }
  expect(
    await ok('POST', `/v1/groups/${group.id}/members`, {
      contactIds: Object.values(contacts).map((c) => c.id),
    }),
  ).toEqual({ added: 5, alreadyMembers: 0 });

  const mailing = await ok(
    'POST',
    '/v1/mailings',
    { name: 'Spring', fromEmail: 'news@sender.example', subject: 'Hello', text: 'Hi', groupIds: [group.id] },
    201,
  );
  expect(mailing.status).toBe('draft');
  await sendAndWait(mailing.id);
  expect((await h.call('POST', `/v1/mailings/${mailing.id}/send`)).status).toBe(409);

  expect(await ok('GET', `/v1/mailings/${mailing.id}`)).toMatchObject({
    status: 'done',
    recipients: 5,
    deliveriesStarted: 5,
    deliveriesEnded: 5,
  });
  expect(await ok('GET', `/v1/mailings/${mailing.id}/stats`)).toEqual({
    total: 5,
    delivered: 1,
    incorrectAddresses: 1,
    technicalProblems: 3,
    inProgress: 0,
    retrying: 0,
    complaints: 0,
    unsubscribed: 0,
    byReason: { accepted: 1, user_unknown: 1, mailbox_full: 1, retries_exhausted: 1, ip_blocklisted: 1 },
  });

  // The unknown address: incorrect, out of its groups, greyed, listed under incorrect addresses.
  const unknown = await ok('GET', `/v1/contacts/${contacts['unknown.test']!.id}`);
  expect(unknown).toMatchObject({ status: 'incorrect', incorrectReason: 'user_unknown', groupIds: [] });
  expect((await allItems('/v1/contacts?status=incorrect')).map((c) => c.id)).toEqual([unknown.id]);
  const recipients = await allItems(`/v1/mailings/${mailing.id}/recipients`);
  expect(recipients.filter((r) => r.contactIncorrect).map((r) => r.contactId)).toEqual([unknown.id]);
  const byDomain = Object.fromEntries(recipients.map((r) => [r.email.split('@')[1], r]));
  expect(byDomain['busy.test']).toMatchObject({ status: 'technical_problem', reason: 'retries_exhausted' });
  expect(byDomain['busy.test'].attempts).toBeGreaterThanOrEqual(12);
  expect(byDomain['ok.test']).toMatchObject({ status: 'delivered', attempts: 1, nextAttemptAt: null });
  expect(
    (await allItems(`/v1/mailings/${mailing.id}/recipients?status=technical_problem`))
      .map((r) => r.email)
      .sort(),
  ).toEqual(
    [contacts['blocked.test']!.email, contacts['busy.test']!.email, contacts['full.test']!.email].sort(),
  );

  // The others stay in their group.
  const members = await allItems(`/v1/groups/${group.id}/members`);
  expect(members.map((c) => c.id).sort()).toEqual(
    ['ok.test', 'full.test', 'busy.test', 'blocked.test'].map((d) => contacts[d]!.id).sort(),
  );
  expect(await ok('GET', `/v1/groups/${group.id}`)).toMatchObject({ memberCount: 4 });

  // One delivery with its attempts and its workflow in the Temporal UI.
  const busy = await ok('GET', `/v1/deliveries/${byDomain['busy.test'].deliveryId}`);
  expect(busy.attempts.length).toBe(byDomain['busy.test'].attempts);
  expect(busy.attempts[0]).toMatchObject({ n: 1, category: 'soft_bounce', reason: 'server_busy' });
  expect(busy.temporalUiUrl).toMatch(/\/namespaces\/default\/workflows\/delivery-\d+-\d+$/);

  // Technical problems into a new group; a second call adds nothing and says so.
  const first = await ok('POST', `/v1/mailings/${mailing.id}/technical-problems/add-to-group`, {
    newGroup: { name: 'Retry later' },
  });
  expect(first).toMatchObject({ added: 3, alreadyMembers: 0 });
  expect(
    await ok('POST', `/v1/mailings/${mailing.id}/technical-problems/add-to-group`, {
      groupId: first.groupId,
    }),
  ).toEqual({ groupId: first.groupId, added: 0, alreadyMembers: 3 });
  // The same "new group" asked for again is that group, not a second one of the same name.
  expect(
    await ok('POST', `/v1/mailings/${mailing.id}/technical-problems/add-to-group`, {
      newGroup: { name: 'Retry later' },
    }),
  ).toEqual({ groupId: first.groupId, added: 0, alreadyMembers: 3 });
  const named = (await ok('GET', '/v1/groups?limit=1000')).items.filter(
    (g: { name: string }) => g.name === 'Retry later',
  );
  expect(named).toHaveLength(1);

  // A second mailing to the same group skips the incorrect address and tries the others again.
  const second = await ok(
    'POST',
    '/v1/mailings',
    {
      name: 'Summer',
      fromEmail: 'news@sender.example',
      subject: 'Again',
      html: '<p>Hi</p>',
      groupIds: [group.id],
    },
    201,
  );
  await sendAndWait(second.id);
  const again = await allItems(`/v1/mailings/${second.id}/recipients`);
  expect(again.map((r) => r.email).sort()).toEqual(
    ['ok.test', 'full.test', 'busy.test', 'blocked.test'].map((d) => contacts[d]!.email).sort(),
  );
  expect(await ok('GET', `/v1/mailings/${second.id}/stats`)).toMatchObject({
    total: 4,
    delivered: 1,
    incorrectAddresses: 0,
    technicalProblems: 3,
  });
  expect(h.lab.attempts(contacts['unknown.test']!.email)).toBe(1);

  // Correcting the incorrect address makes it active and returns it to its group.
  const corrected = await ok('PATCH', `/v1/contacts/${unknown.id}`, { email: 'anna@ok.test' });
  expect(corrected).toMatchObject({ status: 'active', incorrectReason: null, groupIds: [group.id] });
  expect(await allItems('/v1/contacts?status=incorrect')).toEqual([]);
});
