/** The OpenAPI document is generated from the route table: every route is in it, with its schemas. */
import { type ApiHarness, createApiHarness } from './support/api-harness';

let h: ApiHarness;
beforeAll(async () => {
  h = await createApiHarness();
});
afterAll(async () => {
  await h?.stop();
});

const CONTRACT = [
  'get /health',
  'get /v1/openapi.json',
  'post /v1/contacts',
  'post /v1/contacts/import',
  'get /v1/contacts',
  'get /v1/contacts/{id}',
  'patch /v1/contacts/{id}',
  'post /v1/groups',
  'get /v1/groups',
  'get /v1/groups/{id}',
  'get /v1/groups/{id}/members',
  'post /v1/groups/{id}/members',
  'delete /v1/groups/{id}/members/{contactId}',
  'post /v1/mailings',
  'post /v1/mailings/{id}/send',
  'get /v1/mailings/{id}',
  'get /v1/mailings/{id}/stats',
  'get /v1/mailings/{id}/recipients',
  'post /v1/mailings/{id}/technical-problems/add-to-group',
  'get /v1/deliveries/{id}',
  'get /u/{token}',
  'post /u/{token}',
];

test('every route of the contract is documented, with auth, parameters and the error shape', async () => {
  const { status, body: doc } = await h.call('GET', '/v1/openapi.json', undefined, { key: null });
  expect(status).toBe(200);
  expect(doc.openapi).toBe('3.1.0');
  const documented = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(
    ([path, ops]) => Object.keys(ops).map((method) => `${method} ${path}`),
  );
  expect(documented).toEqual(expect.arrayContaining(CONTRACT));
  expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
  expect(doc.paths['/health'].get.security).toEqual([]);
  expect(doc.paths['/u/{token}'].post.security).toEqual([]); // the token is the proof
  expect(doc.paths['/v1/contacts'].post.security).toBeUndefined(); // the document-wide bearer applies
  expect(doc.paths['/v1/contacts'].post.responses['401'].content['application/json'].schema).toEqual({
    $ref: '#/components/schemas/Error',
  });
  // Every route with a key can be rate limited; /health and the document cannot.
  type Op = { security?: unknown; responses: Record<string, unknown> };
  for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, Op>>))
    for (const [method, op] of Object.entries(ops))
      expect({ route: `${method} ${path}`, documents429: '429' in op.responses }).toEqual({
        route: `${method} ${path}`,
        documents429: op.security === undefined,
      });
  expect(doc.paths['/v1/contacts'].post.responses['429'].content['application/json'].schema).toEqual({
    $ref: '#/components/schemas/Error',
  });
  expect(doc.paths['/v1/contacts/{id}'].get.parameters).toEqual([
    { name: 'id', in: 'path', required: true, schema: { type: 'string' } },
  ]);
});

test('request schemas are the validating ones: strict objects, required fields, limits', async () => {
  const { body: doc } = await h.call('GET', '/v1/openapi.json', undefined, { key: null });
  const contact = doc.paths['/v1/contacts'].post.requestBody.content['application/json'].schema;
  expect(contact).toMatchObject({ type: 'object', required: ['email'], additionalProperties: false });
  expect(Object.keys(contact.properties).sort()).toEqual(['email', 'firstName', 'lastName']);
  const importBody = doc.paths['/v1/contacts/import'].post.requestBody.content['application/json'].schema;
  expect(importBody.properties.contacts.maxItems).toBe(100_000);
  const list = doc.paths['/v1/contacts'].get.parameters;
  expect(list.find((p: { name: string }) => p.name === 'limit').schema).toMatchObject({
    minimum: 1,
    maximum: 1000,
    default: 50,
  });
  expect(list.find((p: { name: string }) => p.name === 'status').schema.enum).toEqual([
    'active',
    'incorrect',
    'unsubscribed',
  ]);
  const recipients = doc.paths['/v1/mailings/{id}/recipients'].get.parameters;
  expect(recipients.find((p: { name: string }) => p.name === 'status').schema.enum).toEqual([
    'delivered',
    'incorrect_address',
    'technical_problem',
    'in_progress',
  ]);
});

test('every success answer has its schema in the document, for typed clients', async () => {
  const { body: doc } = await h.call('GET', '/v1/openapi.json', undefined, { key: null });
  const missing: string[] = [];
  type Operation = { responses: Record<string, { content?: Record<string, { schema?: unknown }> }> };
  for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, Operation>>))
    for (const [method, op] of Object.entries(ops)) {
      const [status, success] = Object.entries(op.responses).find(([s]) => s.startsWith('2'))!;
      // The one-click unsubscribe pages answer HTML; every other success is JSON.
      const type = path.startsWith('/u/') ? 'text/html' : 'application/json';
      if (status !== '204' && !success.content?.[type]?.schema) missing.push(`${method} ${path}`);
    }
  expect(missing).toEqual([]);
  const stats = doc.paths['/v1/mailings/{id}/stats'].get.responses['200'].content['application/json'].schema;
  expect(stats).toMatchObject({ type: 'object', additionalProperties: false });
  expect(stats.required).toEqual(
    expect.arrayContaining(['total', 'delivered', 'incorrectAddresses', 'technicalProblems', 'inProgress']),
  );
  const contacts = doc.paths['/v1/contacts'].get.responses['200'].content['application/json'].schema;
  expect(contacts.properties.items.items.properties.status.enum).toEqual([
    'active',
    'incorrect',
    'unsubscribed',
  ]);
});
