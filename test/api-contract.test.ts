/**
 * The HTTP contract at its edges: keys, accounts, malformed input. Every rejected request answers
 * the documented 4xx in the error shape, names the bad field, and leaves the database as it was.
 */
import { type ApiHarness, createApiHarness, type Reply } from './support/api-harness';
import { fingerprint } from './support/fingerprint';

let h: ApiHarness;
// Resources of the first account, made once.
let r: { group: string; contact: string; incorrect: string; mailing: string; sent: string; delivery: string };

async function ok(method: string, path: string, body?: unknown, status = 200) {
  const res = await h.call(method, path, body);
  if (res.status !== status) throw new Error(`${method} ${path} → ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

beforeAll(async () => {
  h = await createApiHarness();
  const group = (await ok('POST', '/v1/groups', { name: 'Members' }, 201)).id;
  const contact = (await ok('POST', '/v1/contacts', { email: 'ann@ok.test', firstName: 'Ann' }, 201)).id;
  const incorrect = (await ok('POST', '/v1/contacts', { email: 'bob@unknown.test' }, 201)).id;
  await ok('POST', `/v1/groups/${group}/members`, { contactIds: [contact, incorrect] });
  const mail = { name: 'M', fromEmail: 'news@sender.example', subject: 'S', text: 'T', groupIds: [group] };
  const sent = (await ok('POST', '/v1/mailings', mail, 201)).id;
  await ok('POST', `/v1/mailings/${sent}/send`, undefined, 202);
  await h.env.client.workflow.getHandle(`mailing-${sent}`).result();
  const mailing = (await ok('POST', '/v1/mailings', mail, 201)).id;
  const delivery = (await ok('GET', `/v1/mailings/${sent}/recipients`)).items[0].deliveryId;
  r = { group, contact, incorrect, mailing, sent, delivery };
  expect((await ok('GET', `/v1/contacts/${incorrect}`)).status).toBe('incorrect');
});
afterAll(async () => {
  await h?.stop();
});

/** Every route with the body that would succeed for the first account. */
const routes = () =>
  [
    ['GET', '/v1/contacts'],
    ['POST', '/v1/contacts', { email: 'new@ok.test' }],
    ['POST', '/v1/contacts/import', { contacts: [{ email: 'imp@ok.test' }] }],
    ['GET', `/v1/contacts/${r.contact}`],
    ['PATCH', `/v1/contacts/${r.contact}`, { firstName: 'Anna' }],
    ['GET', '/v1/groups'],
    ['POST', '/v1/groups', { name: 'G' }],
    ['GET', `/v1/groups/${r.group}`],
    ['GET', `/v1/groups/${r.group}/members`],
    ['POST', `/v1/groups/${r.group}/members`, { contactIds: [r.contact] }],
    ['DELETE', `/v1/groups/${r.group}/members/${r.contact}`],
    ['GET', '/v1/mailings'],
    [
      'POST',
      '/v1/mailings',
      { name: 'M', fromEmail: 'a@sender.example', subject: 'S', text: 'T', groupIds: [r.group] },
    ],
    ['GET', `/v1/mailings/${r.sent}`],
    ['POST', `/v1/mailings/${r.mailing}/send`],
    ['GET', `/v1/mailings/${r.sent}/stats`],
    ['GET', `/v1/mailings/${r.sent}/recipients`],
    ['POST', `/v1/mailings/${r.sent}/technical-problems/add-to-group`, { groupId: r.group }],
    ['GET', `/v1/deliveries/${r.delivery}`],
  ] as Array<[string, string, unknown?]>;

async function unchanged(request: () => Promise<Reply>): Promise<Reply> {
  const before = await fingerprint(h.t.db);
  const res = await request();
  expect(await fingerprint(h.t.db)).toEqual(before);
  return res;
}

function expectError(res: Reply, status: number, code: string) {
  expect({ status: res.status, code: res.body?.error?.code }).toEqual({ status, code });
  expect(typeof res.body.error.message).toBe('string');
  expect(Array.isArray(res.body.error.details)).toBe(true);
}

describe('keys', () => {
  it('when no key, a malformed header or an unknown key is sent, then every route answers 401 and changes nothing', async () => {
    for (const [method, path, body] of routes()) {
      for (const key of [null, 'not-a-key', '']) {
        const res = await unchanged(() => h.call(method, path, body, { key }));
        expectError(res, 401, 'unauthorized');
      }
    }
  });

  it('when /health and /v1/openapi.json are asked without a key, then they answer', async () => {
    expect((await h.call('GET', '/health', undefined, { key: null })).status).toBe(200);
    expect((await h.call('GET', '/v1/openapi.json', undefined, { key: null })).status).toBe(200);
  });
});

describe('isolation between accounts', () => {
  it("when another account's key names the first account's resources, then 404 and nothing changes", async () => {
    for (const [method, path, body] of routes().filter(([, p]) => /\/\d+/.test(p))) {
      const res = await unchanged(() => h.call(method, path, body, { key: h.otherKey }));
      expectError(res, 404, 'not_found');
    }
  });

  it('when another account lists, then nothing of the first account appears', async () => {
    for (const path of ['/v1/contacts', '/v1/contacts?status=incorrect', '/v1/groups', '/v1/mailings']) {
      expect(await h.call('GET', path, undefined, { key: h.otherKey })).toEqual({
        status: 200,
        body: { items: [], nextCursor: null },
      });
    }
  });

  it("when another account refers to the first account's group or contact in a body, then 404", async () => {
    const other = (await h.call('POST', '/v1/groups', { name: 'Theirs' }, { key: h.otherKey })).body.id;
    const cases: Array<[string, string, unknown]> = [
      [
        'POST',
        '/v1/mailings',
        { name: 'M', fromEmail: 'a@other.example', subject: 'S', text: 'T', groupIds: [r.group] },
      ],
      ['POST', `/v1/groups/${other}/members`, { contactIds: [r.contact] }],
      ['POST', '/v1/contacts/import', { contacts: [{ email: 'x@ok.test' }], groupId: r.group }],
    ];
    for (const [method, path, body] of cases) {
      expectError(await unchanged(() => h.call(method, path, body, { key: h.otherKey })), 404, 'not_found');
    }
  });
});

describe('malformed input', () => {
  const long = 'x'.repeat(300);
  // [method, path, body, status, code, field named in details]
  const cases = (): Array<[string, string, unknown, number, string, string]> => [
    ['POST', '/v1/contacts', {}, 400, 'invalid_input', 'email'],
    ['POST', '/v1/contacts', { email: 'no-at-sign' }, 400, 'invalid_input', 'email'],
    ['POST', '/v1/contacts', { email: 'a@b' }, 400, 'invalid_input', 'email'],
    ['POST', '/v1/contacts', { email: 'a..b@ok.test' }, 400, 'invalid_input', 'email'],
    ['POST', '/v1/contacts', { email: 'a b@ok.test' }, 400, 'invalid_input', 'email'],
    ['POST', '/v1/contacts', { email: 'a@-bad-.test' }, 400, 'invalid_input', 'email'],
    ['POST', '/v1/contacts', { email: 'a@ok.test\r\nBcc: x@y.test' }, 400, 'invalid_input', 'email'],
    ['POST', '/v1/contacts', { email: 42 }, 400, 'invalid_input', 'email'],
    ['POST', '/v1/contacts', { email: 'new@ok.test', nickname: 'x' }, 400, 'invalid_input', 'nickname'],
    ['POST', '/v1/contacts', { email: 'new@ok.test', firstName: long }, 400, 'invalid_input', 'firstName'],
    [
      'POST',
      '/v1/contacts',
      { email: 'new@ok.test', firstName: 'a\u0000b' },
      400,
      'invalid_input',
      'firstName',
    ],
    ['POST', '/v1/contacts', [], 400, 'invalid_input', 'body'],
    ['POST', '/v1/contacts', { email: 'ANN@ok.test'.toLowerCase() }, 409, 'conflict', 'email'],
    ['POST', '/v1/contacts/import', { contacts: 'all' }, 400, 'invalid_input', 'contacts'],
    ['POST', '/v1/contacts/import', { contacts: [], groupId: 'abc' }, 400, 'invalid_input', 'groupId'],
    ['POST', '/v1/contacts/import', { contacts: [], extra: 1 }, 400, 'invalid_input', 'extra'],
    ['PATCH', `/v1/contacts/${r.contact}`, {}, 400, 'invalid_input', 'body'],
    ['PATCH', `/v1/contacts/${r.contact}`, { email: 'bob@unknown.test' }, 409, 'conflict', 'email'],
    ['PATCH', `/v1/contacts/${r.contact}`, { status: 'unsubscribed' }, 400, 'invalid_input', 'status'],
    ['GET', '/v1/contacts?status=deleted', undefined, 400, 'invalid_input', 'status'],
    ['GET', '/v1/contacts?limit=0', undefined, 400, 'invalid_input', 'limit'],
    ['GET', '/v1/contacts?search=%20%20', undefined, 400, 'invalid_input', 'search'],
    ['GET', '/v1/contacts?search=a%00b', undefined, 400, 'invalid_input', 'search'],
    ['GET', `/v1/contacts?search=${'x'.repeat(201)}`, undefined, 400, 'invalid_input', 'search'],
    ['GET', '/v1/contacts?search=a&search=b', undefined, 400, 'invalid_input', 'search'],
    ['GET', '/v1/contacts?limit=1001', undefined, 400, 'invalid_input', 'limit'],
    ['GET', '/v1/contacts?limit=ten', undefined, 400, 'invalid_input', 'limit'],
    ['GET', '/v1/contacts?cursor=!!!', undefined, 400, 'invalid_input', 'cursor'],
    ['GET', '/v1/contacts?sort=email', undefined, 400, 'invalid_input', 'sort'],
    ['GET', '/v1/contacts/abc', undefined, 404, 'not_found', ''],
    ['GET', '/v1/contacts/99999999999999999999', undefined, 404, 'not_found', ''],
    ['POST', '/v1/groups', { name: '' }, 400, 'invalid_input', 'name'],
    ['POST', '/v1/groups', { name: ['a'] }, 400, 'invalid_input', 'name'],
    // Shows as "live": a bidirectional override; a name of invisible characters only.
    ['POST', '/v1/groups', { name: '\u202Eevil' }, 400, 'invalid_input', 'name'],
    ['POST', '/v1/groups', { name: '\u200B\u2060' }, 400, 'invalid_input', 'name'],
    ['POST', `/v1/groups/${r.group}/members`, { contactIds: [] }, 400, 'invalid_input', 'contactIds'],
    ['POST', `/v1/groups/${r.group}/members`, { contactIds: ['x1'] }, 400, 'invalid_input', 'contactIds.0'],
    // Beyond what a JSON number carries exactly: it would name another row.
    [
      'POST',
      `/v1/groups/${r.group}/members`,
      { contactIds: [9007199254740993] },
      400,
      'invalid_input',
      'contactIds.0',
    ],
    ['POST', `/v1/groups/${r.group}/members`, { contactIds: ['999999'] }, 404, 'not_found', 'contactIds.0'],
    [
      'POST',
      `/v1/groups/${r.group}/members`,
      { contactIds: [r.contact, r.incorrect] },
      422,
      'unprocessable',
      'contactIds.1',
    ],
    ['DELETE', `/v1/groups/${r.group}/members/${r.incorrect}`, undefined, 404, 'not_found', ''],
    [
      'POST',
      '/v1/mailings',
      { name: 'M', fromEmail: 'a@sender.example', subject: 'S', groupIds: [r.group] },
      400,
      'invalid_input',
      'text',
    ],
    // Blank bodies are no bodies.
    [
      'POST',
      '/v1/mailings',
      { name: 'M', fromEmail: 'a@sender.example', subject: 'S', text: ' \n ', html: '', groupIds: [r.group] },
      400,
      'invalid_input',
      'text',
    ],
    [
      'POST',
      '/v1/mailings',
      { name: 'M', fromEmail: 'nobody', subject: 'S', text: 'T', groupIds: [r.group] },
      400,
      'invalid_input',
      'fromEmail',
    ],
    [
      'POST',
      '/v1/mailings',
      { name: 'M', fromEmail: 'a@sender.example', subject: 'S', text: 'T', groupIds: [] },
      400,
      'invalid_input',
      'groupIds',
    ],
    [
      'POST',
      '/v1/mailings',
      { name: 'M', fromEmail: 'a@sender.example', subject: 'S', text: 'T', groupIds: ['424242'] },
      404,
      'not_found',
      'groupIds.0',
    ],
    ['POST', `/v1/mailings/${r.sent}/send`, undefined, 409, 'conflict', ''],
    ['GET', `/v1/mailings/${r.sent}/recipients?status=bounced`, undefined, 400, 'invalid_input', 'status'],
    ['POST', `/v1/mailings/${r.sent}/technical-problems/add-to-group`, {}, 400, 'invalid_input', 'groupId'],
    [
      'POST',
      `/v1/mailings/${r.sent}/technical-problems/add-to-group`,
      { groupId: r.group, newGroup: { name: 'x' } },
      400,
      'invalid_input',
      'groupId',
    ],
    [
      'POST',
      `/v1/mailings/${r.sent}/technical-problems/add-to-group`,
      { newGroup: {} },
      400,
      'invalid_input',
      'newGroup.name',
    ],
    [
      'POST',
      `/v1/mailings/${r.sent}/technical-problems/add-to-group`,
      { groupId: '777777' },
      404,
      'not_found',
      'groupId',
    ],
    ['GET', '/v1/deliveries/0', undefined, 404, 'not_found', ''],
    ['GET', '/v1/nothing-here', undefined, 404, 'not_found', ''],
  ];

  it('when each malformed request is sent, then the documented 4xx names the field and nothing changes', async () => {
    for (const [method, path, body, status, code, field] of cases()) {
      const res = await unchanged(() => h.call(method, path, body));
      try {
        expectError(res, status, code);
        if (field) expect(res.body.error.details.map((d: { field?: string }) => d.field)).toContain(field);
      } catch (err) {
        throw new Error(`${method} ${path} ${JSON.stringify(body)}: ${JSON.stringify(res)}\n${String(err)}`);
      }
    }
  });

  it('when the body is not JSON, not a JSON object, not UTF-8, not sent as JSON, or too large, then 400s and a 413', async () => {
    expectError(
      await unchanged(() => h.call('POST', '/v1/groups', undefined, { raw: '{"name":' })),
      400,
      'invalid_input',
    );
    const plain = await unchanged(() =>
      fetch(`${h.api.url}/v1/groups`, {
        method: 'POST',
        headers: { authorization: `Bearer ${h.key}`, 'content-type': 'text/plain' },
        body: 'name=x',
      }).then(async (res) => ({ status: res.status, body: await res.json() })),
    );
    expectError(plain, 400, 'invalid_input');
    // JSON, but no object: said so, not called invalid JSON.
    const notObject = await unchanged(() => h.call('POST', '/v1/groups', undefined, { raw: 'null' }));
    expectError(notObject, 400, 'invalid_input');
    expect(notObject.body.error.message).toBe('The request body must be a JSON object.');
    // Bytes that are not UTF-8 are refused, never stored as U+FFFD (the large import has its own parser).
    for (const [path, json] of [
      ['/v1/contacts', '{"email":"bad\xff@ok.test"}'],
      ['/v1/contacts/import', '{"contacts":[{"email":"bad\xff@ok.test"}]}'],
    ] as const) {
      const latin1 = await unchanged(() =>
        fetch(`${h.api.url}${path}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${h.key}`, 'content-type': 'application/json' },
          body: Buffer.from(json, 'latin1'),
        }).then(async (res) => ({ status: res.status, body: await res.json() })),
      );
      expectError(latin1, 400, 'invalid_input');
      expect(latin1.body.error.details).toEqual([{ field: 'body', message: 'is not valid UTF-8' }]);
    }
    const huge = {
      name: 'M',
      fromEmail: 'a@sender.example',
      subject: 'S',
      html: 'x'.repeat(3_000_000),
      groupIds: [r.group],
    };
    expectError(await unchanged(() => h.call('POST', '/v1/mailings', huge)), 413, 'payload_too_large');
  });

  it('when an import has bad rows, then the good ones are created and each bad one is reported by index', async () => {
    const res = await ok('POST', '/v1/contacts/import', {
      groupId: r.group,
      contacts: [
        { email: 'one@ok.test' },
        { email: 'broken' },
        { email: 'ann@ok.test' },
        'not an object',
        { email: 'two@Bücher.Example', firstName: 'Zoë' },
        { email: 'ONE@ok.test'.replace('ONE', 'one') },
        { email: 'three@ok.test', age: 3 },
      ],
    });
    expect(res.created).toBe(2);
    expect(res.existing).toBe(2);
    expect(res.invalid.map((i: { index: number }) => i.index)).toEqual([1, 3, 6]);
    expect(res.invalid[0]).toMatchObject({ index: 1, email: 'broken' });
    const members = (await ok('GET', `/v1/groups/${r.group}/members?limit=1000`)).items.map(
      (c: { email: string }) => c.email,
    );
    expect(members).toEqual(
      expect.arrayContaining(['one@ok.test', 'two@xn--bcher-kva.example', 'ann@ok.test']),
    );
    expect(members).not.toContain('bob@unknown.test');
  });

  it('when a stored string holds a NUL, a line break in a one-line field or a lone surrogate, then 400 names the field and nothing changes', async () => {
    const mail = { name: 'M', fromEmail: 'a@sender.example', subject: 'S', text: 'T', groupIds: [r.group] };
    const injected = 'Hello\r\nBcc: victim@elsewhere.test';
    // [method, path, body, field, message]
    const refused: Array<[string, string, unknown, string, string]> = [
      ['POST', '/v1/mailings', { ...mail, text: 'a\u0000b' }, 'text', 'contains a NUL character'],
      ['POST', '/v1/mailings', { ...mail, html: '<p>\u0000</p>' }, 'html', 'contains a NUL character'],
      ['POST', '/v1/mailings', { ...mail, text: 'lone \ud800 surrogate' }, 'text', 'lone surrogate'],
      ['POST', '/v1/mailings', { ...mail, subject: injected }, 'subject', 'contains a line break'],
      ['POST', '/v1/mailings', { ...mail, subject: 'a\nb' }, 'subject', 'contains a line break'],
      ['POST', '/v1/mailings', { ...mail, subject: 'a\u2028b' }, 'subject', 'contains a line break'],
      ['POST', '/v1/mailings', { ...mail, name: 'M\rX' }, 'name', 'contains a line break'],
      ['POST', '/v1/mailings', { ...mail, fromName: injected }, 'fromName', 'contains a line break'],
      ['POST', '/v1/mailings', { ...mail, fromName: 'A\u0000' }, 'fromName', 'contains a NUL character'],
      ['POST', '/v1/mailings', { ...mail, fromEmail: 'a\u0000@ok.test' }, 'fromEmail', 'NUL'],
      ['POST', '/v1/contacts', { email: 'n@ok.test', firstName: injected }, 'firstName', 'line break'],
      ['POST', '/v1/contacts', { email: 'n@ok.test', lastName: 'a\u0085b' }, 'lastName', 'line break'],
      ['POST', '/v1/contacts', { email: 'n\u0000@ok.test' }, 'email', 'contains a NUL character'],
      ['PATCH', `/v1/contacts/${r.contact}`, { lastName: 'B\nC' }, 'lastName', 'contains a line break'],
      ['PATCH', `/v1/contacts/${r.contact}`, { firstName: '\u0000' }, 'firstName', 'NUL'],
      ['POST', '/v1/groups', { name: injected }, 'name', 'contains a line break'],
      ['POST', '/v1/groups', { name: 'G\u0000' }, 'name', 'contains a NUL character'],
      [
        'POST',
        `/v1/mailings/${r.sent}/technical-problems/add-to-group`,
        { newGroup: { name: 'a\r\nb' } },
        'newGroup.name',
        'contains a line break',
      ],
    ];
    for (const [method, path, body, field, message] of refused) {
      const res = await unchanged(() => h.call(method, path, body));
      try {
        expectError(res, 400, 'invalid_input');
        const detail = res.body.error.details.find((d: { field?: string }) => d.field === field);
        expect(detail?.message).toContain(message);
      } catch (err) {
        throw new Error(`${method} ${path} ${JSON.stringify(body)}: ${JSON.stringify(res)}\n${String(err)}`);
      }
    }
  });

  it('when a body has line breaks and a one-line field a tab, then they are kept; an imported row with a line break is reported', async () => {
    const created = await ok(
      'POST',
      '/v1/mailings',
      {
        name: 'Tabs\tare fine',
        fromEmail: 'a@sender.example',
        subject: 'S',
        text: 'line one\r\nline two\n',
        html: '<p>a</p>\n<p>b</p>',
        groupIds: [r.group],
      },
      201,
    );
    expect(created).toMatchObject({ name: 'Tabs\tare fine', text: 'line one\r\nline two\n' });
    const imported = await ok('POST', '/v1/contacts/import', {
      contacts: [{ email: 'crlf@ok.test', firstName: 'A\r\nBcc: x@y.test' }, { email: 'nul@ok.test\u0000' }],
    });
    expect(imported).toEqual({
      created: 0,
      existing: 0,
      invalid: [
        { index: 0, email: 'crlf@ok.test', message: 'firstName: contains a line break' },
        { index: 1, email: 'nul@ok.test\u0000', message: 'email: contains a NUL character' },
      ],
    });
  });

  it('when contacts are searched, then a part of the address or a name matches in any case, and % _ \\ are letters', async () => {
    const emails = async (query: string) =>
      ((await ok('GET', `/v1/contacts?${query}`)).items as Array<{ email: string }>)
        .map((c) => c.email)
        .sort();
    await ok('POST', '/v1/contacts', { email: 'per_cent%x@ok.test', lastName: 'Back\\slash' }, 201);
    expect(await emails('search=ANN')).toEqual(['ann@ok.test']); // the address, any case
    expect(await emails('search=%20ann%20')).toEqual(['ann@ok.test']); // trimmed
    expect(await emails(`search=${encodeURIComponent('_')}`)).toEqual(['per_cent%x@ok.test']); // not "any one"
    expect(await emails(`search=${encodeURIComponent('%')}`)).toEqual(['per_cent%x@ok.test']); // not "anything"
    expect(await emails(`search=${encodeURIComponent('k\\s')}`)).toEqual(['per_cent%x@ok.test']); // a name
    expect(await emails('search=unknown.test&status=incorrect')).toEqual(['bob@unknown.test']);
    expect(await emails('search=unknown.test&status=active')).toEqual([]);
    // Paged like the list: each match once.
    const first = await ok('GET', '/v1/contacts?search=test&limit=1');
    expect(first.items).toHaveLength(1);
    const rest = await ok('GET', `/v1/contacts?search=test&limit=1000&cursor=${first.nextCursor}`);
    const all = await ok('GET', '/v1/contacts?search=test&limit=1000');
    expect([...first.items, ...rest.items]).toEqual(all.items);
  });

  it('when lists are paged, then every item comes exactly once', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const body: { items: Array<{ id: string }>; nextCursor: string | null } = await ok(
        'GET',
        `/v1/contacts?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(body.items.length).toBeLessThanOrEqual(2);
      seen.push(...body.items.map((c) => c.id));
      cursor = body.nextCursor;
    } while (cursor);
    const all = (await ok('GET', '/v1/contacts?limit=1000')).items.map((c: { id: string }) => c.id);
    expect(seen).toEqual(all);
    expect(new Set(seen).size).toBe(seen.length);
  });

  it('when a list is asked newest first, then it pages the same items in the reverse order', async () => {
    const ids = async (query: string) => {
      const out: string[] = [];
      let cursor: string | null = null;
      do {
        const body: { items: Array<{ id: string }>; nextCursor: string | null } = await ok(
          'GET',
          `/v1/contacts?limit=2&${query}${cursor ? `&cursor=${cursor}` : ''}`,
        );
        out.push(...body.items.map((c) => c.id));
        cursor = body.nextCursor;
      } while (cursor);
      return out;
    };
    const oldest = await ids('order=oldest');
    expect(oldest.length).toBeGreaterThan(2);
    expect(await ids('order=newest')).toEqual([...oldest].reverse());
    expect(await ids('')).toEqual(oldest); // the default, as before
    const bad = await h.call('GET', '/v1/contacts?order=random');
    expect(bad).toMatchObject({ status: 400, body: { error: { code: 'invalid_input' } } });
    expect(bad.body.error.message).toContain('order');
  });
});
