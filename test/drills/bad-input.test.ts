/**
 * Drill: hundreds of generated bad requests (malformed JSON, wrong types, missing and unknown fields,
 * huge bodies and arrays, control characters, SQL- and script-looking strings, bad IDN addresses,
 * absurd pagination). Every answer is a documented 4xx in the error shape, never a 5xx, and the
 * database is byte-for-byte what it was.
 */
import { type ApiHarness, createApiHarness } from '../support/api-harness';
import { reportDrill } from '../support/drill';
import { fingerprint } from '../support/fingerprint';

let h: ApiHarness;
let ids: { group: string; contact: string; mailing: string };
beforeAll(async () => {
  h = await createApiHarness();
  const call = async (method: string, path: string, body?: unknown) =>
    (await h.call(method, path, body)).body;
  const group = (await call('POST', '/v1/groups', { name: 'G' })).id;
  const contact = (await call('POST', '/v1/contacts', { email: 'ann@ok.test' })).id;
  const mailing = (
    await call('POST', '/v1/mailings', {
      name: 'M',
      fromEmail: 'a@sender.example',
      subject: 'S',
      text: 'T',
      groupIds: [group],
    })
  ).id;
  ids = { group, contact, mailing };
});
afterAll(async () => {
  await h?.stop();
});

const NASTY_STRINGS = [
  "'; drop table contacts; --",
  '<script>alert(1)</script>',
  'a\u0000b',
  '\u0007bell',
  'x'.repeat(100_000),
];
const NOT_STRINGS = [42, true, [], {}, [1, 2]];
/** Values that must be refused with a 400 whose details name the field they were sent in. */
const NAMED = new Set<unknown>();
const named = <T>(values: T[]): T[] => {
  values.forEach((v) => NAMED.add(v));
  return values;
};
// A one-line field (a name, a subject) ends up in a header: no line break may reach it.
const LINE_BREAKS = named([
  'Hello\r\nBcc: victim@elsewhere.test',
  'a\nb',
  'a\rb',
  'a\u0085b',
  'a\u2028b',
  'a\u2029b',
  'x\r\n\r\ny',
]);
// No stored string, a mailing's body included, may hold these.
const UNSTORABLE = named(['a\u0000b', '\u0000', 'lone \ud800 surrogate', 'lone \udfff surrogate']);
const UNSTORABLE_EMAILS = named(UNSTORABLE.map((u) => `${u}@ok.test`));
const BAD_EMAILS = [
  '',
  ' ',
  'plain',
  '@ok.test',
  'ann@',
  'ann@@ok.test',
  'ann@ok..test',
  'ann@-ok.test',
  'ann@ok.test.',
  'ann@xn--.test',
  'ann@exa_mple.test',
  'ann@ok.123',
  'ann@[127.0.0.1]',
  '"quoted"@ok.test',
  'ann\r\n@ok.test',
  'anne\u202e@ok.test'.replace('\u202e', '\u0085'),
  `${'a'.repeat(65)}@ok.test`,
  `ann@${'b'.repeat(250)}.test`,
  "'; drop table contacts; --@ok.test",
  '<script>@ok.test',
];
const BAD_IDS = ['', 'abc', '-1', '0', '1.5', '99999999999999999999', ' 1', null, true, {}, []];

/** `field`: the answer must be a 400 with a detail naming it (or a field inside it). */
type Case = { method: string; path: string; body?: unknown; raw?: string; field?: string };

function generate(): Case[] {
  const cases: Case[] = [];
  const bodyRoutes: Array<{
    method: string;
    path: string;
    valid: Record<string, unknown>;
    fields: Record<string, unknown[]>;
  }> = [
    {
      method: 'POST',
      path: '/v1/contacts',
      valid: { email: 'new@ok.test', firstName: 'A', lastName: 'B' },
      fields: {
        email: [...BAD_EMAILS, ...NOT_STRINGS, null],
        firstName: [...NOT_STRINGS, ...NASTY_STRINGS.slice(2), ...LINE_BREAKS, ...UNSTORABLE],
        lastName: [...NOT_STRINGS, ...LINE_BREAKS, ...UNSTORABLE],
      },
    },
    {
      method: 'PATCH',
      path: `/v1/contacts/${ids.contact}`,
      valid: { firstName: 'Z' },
      fields: {
        email: [...BAD_EMAILS.slice(0, 10), ...NOT_STRINGS, null, ...UNSTORABLE_EMAILS],
        firstName: [...NOT_STRINGS, ...LINE_BREAKS, ...UNSTORABLE],
        lastName: [...LINE_BREAKS, ...UNSTORABLE],
      },
    },
    {
      method: 'POST',
      path: '/v1/groups',
      valid: { name: 'New group' },
      fields: { name: ['', '   ', ...NOT_STRINGS, null, 'x'.repeat(201), ...LINE_BREAKS, ...UNSTORABLE] },
    },
    {
      method: 'POST',
      path: `/v1/groups/${ids.group}/members`,
      valid: { contactIds: [ids.contact] },
      fields: {
        contactIds: [
          [],
          'all',
          null,
          {},
          BAD_IDS.map((b) => [b]),
          Array.from({ length: 10_001 }, (_, i) => String(i + 1)),
        ],
      },
    },
    {
      method: 'POST',
      path: '/v1/mailings',
      valid: { name: 'M', fromEmail: 'a@sender.example', subject: 'S', text: 'T', groupIds: [ids.group] },
      fields: {
        name: ['', ...NOT_STRINGS, null, ...LINE_BREAKS, ...UNSTORABLE],
        fromEmail: [...BAD_EMAILS.slice(0, 12), ...NOT_STRINGS, ...UNSTORABLE_EMAILS],
        fromName: [...NOT_STRINGS, ...LINE_BREAKS, ...UNSTORABLE],
        subject: ['', ...NOT_STRINGS, 'x'.repeat(999), ...LINE_BREAKS, ...UNSTORABLE],
        text: [...NOT_STRINGS, ...UNSTORABLE],
        html: [...NOT_STRINGS, ...UNSTORABLE],
        groupIds: [
          [],
          'g',
          null,
          BAD_IDS.map((b) => [b]),
          Array.from({ length: 101 }, (_, i) => String(i + 1)),
        ],
      },
    },
    {
      method: 'POST',
      path: '/v1/sending-domains',
      valid: { domain: 'new.example' },
      fields: {
        domain: [
          ...NOT_STRINGS,
          null,
          '',
          'x'.repeat(2_000),
          ...NASTY_STRINGS,
          ...LINE_BREAKS,
          ...UNSTORABLE,
          'NEW.example',
          'new.example.',
          'co.uk',
          'bücher.example',
        ],
      },
    },
    {
      method: 'POST',
      path: '/v1/contacts/import',
      valid: { contacts: [{ email: 'imp@ok.test' }], groupId: ids.group },
      fields: { contacts: ['x', 1, null, {}], groupId: BAD_IDS.filter((b) => b !== null) },
    },
    {
      method: 'POST',
      path: `/v1/mailings/${ids.mailing}/technical-problems/add-to-group`,
      valid: { groupId: ids.group },
      fields: {
        groupId: BAD_IDS,
        newGroup: [
          'x',
          1,
          [],
          { name: '' },
          { name: 1 },
          { name: 'a', extra: 1 },
          ...named([...LINE_BREAKS, ...UNSTORABLE].map((name) => ({ name }))),
        ],
      },
    },
  ];
  for (const r of bodyRoutes) {
    // wrong or bad values, one field at a time
    for (const [field, values] of Object.entries(r.fields))
      for (const value of values)
        cases.push({
          method: r.method,
          path: r.path,
          body: { ...r.valid, [field]: value },
          ...(NAMED.has(value) && { field }),
        });
    // every required field missing, an unknown field, not an object at all, malformed JSON
    cases.push({ method: r.method, path: r.path, body: {} });
    cases.push({ method: r.method, path: r.path, body: { ...r.valid, admin: true } });
    cases.push({
      method: r.method,
      path: r.path,
      body: { ...r.valid, __proto__: { polluted: 1 }, constructor: 'x' },
    });
    for (const body of [[], 'text', 42, null]) cases.push({ method: r.method, path: r.path, body });
    for (const raw of [
      '{',
      '{"a":',
      "{'a':1}",
      '{"a":1,}',
      'NaN',
      '\u0000',
      '{"a":"\\x"}',
      '[1,2',
      '{"a" 1}',
    ])
      cases.push({ method: r.method, path: r.path, raw });
    cases.push({
      method: r.method,
      path: r.path,
      raw: JSON.stringify({ ...r.valid, pad: 'x'.repeat(3_000_000) }),
    });
  }
  // absurd pagination and filters on every list
  for (const list of [
    '/v1/contacts',
    '/v1/groups',
    '/v1/mailings',
    `/v1/groups/${ids.group}/members`,
    `/v1/mailings/${ids.mailing}/recipients`,
  ])
    for (const q of [
      'limit=0',
      'limit=-5',
      'limit=1001',
      'limit=1e9',
      'limit=abc',
      'limit=',
      'limit=1&limit=2',
      'cursor=',
      'cursor=%00',
      'cursor=MA',
      'cursor=LTE',
      'cursor=' + 'A'.repeat(300),
      'cursor=OTk5OTk5OTk5OTk5OTk5OTk5OTk5OQ',
      'status=nope',
      'status[]=active',
      'unknown=1',
      "status=' or 1=1 --",
    ])
      cases.push({ method: 'GET', path: `${list}?${q}` });
  // ids that cannot name anything
  for (const bad of ['abc', '0', '-1', '1e3', '99999999999999999999', '%27%3B--', '..%2F..'])
    for (const path of [
      `/v1/contacts/${bad}`,
      `/v1/groups/${bad}`,
      `/v1/mailings/${bad}`,
      `/v1/mailings/${bad}/stats`,
      `/v1/deliveries/${bad}`,
    ])
      cases.push({ method: 'GET', path });
  return cases;
}

test('every generated bad request gets a documented 4xx in the error shape, and changes nothing', async () => {
  const cases = generate();
  expect(cases.length).toBeGreaterThanOrEqual(300);
  const before = await fingerprint(h.t.db);
  const wrong: string[] = [];
  const byStatus: Record<number, number> = {};
  for (const c of cases) {
    const res = await h.call(c.method, c.path, c.body, c.raw === undefined ? {} : { raw: c.raw });
    byStatus[res.status] = (byStatus[res.status] ?? 0) + 1;
    const shaped =
      typeof res.body?.error?.code === 'string' &&
      typeof res.body.error.message === 'string' &&
      Array.isArray(res.body.error.details);
    const namesField =
      c.field === undefined ||
      (res.status === 400 &&
        (res.body.error.details as Array<{ field?: string }>).some(
          (d) => d.field === c.field || d.field?.startsWith(`${c.field}.`),
        ));
    if (![400, 404, 409, 413, 422].includes(res.status) || !shaped || !namesField)
      wrong.push(
        `${c.method} ${c.path} ${(c.raw ?? JSON.stringify(c.body) ?? '').slice(0, 80)} → ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`,
      );
  }
  expect(wrong).toEqual([]);
  expect(byStatus[500] ?? 0).toBe(0);
  expect(await fingerprint(h.t.db)).toEqual(before);
  reportDrill('bad input at the API', {
    inputsTried: cases.length,
    fiveXX: Object.entries(byStatus)
      .filter(([status]) => Number(status) >= 500)
      .reduce((sum, [, n]) => sum + n, 0),
    byStatus: JSON.stringify(byStatus),
  });
});
