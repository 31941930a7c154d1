/**
 * The web app's API types, generated from the OpenAPI document the API serves (itself generated
 * from the routes' zod schemas): `npm run web:api-types` writes web/src/api.gen.ts. The browser test
 * fails when the committed file differs from what the running API's document gives.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { createApp } from '../../api/app';
import { createDb } from '../../db/connection';

type Schema = {
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  anyOf?: Schema[];
  oneOf?: Schema[];
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: Schema | boolean;
  items?: Schema;
  $ref?: string;
};
type Operation = {
  parameters?: { name: string; in: 'path' | 'query'; required: boolean; schema: Schema }[];
  requestBody?: { content: { 'application/json': { schema: Schema } } };
  responses: Record<string, { content?: { 'application/json'?: { schema: Schema } } }>;
};
export type OpenApiDocument = { paths: Record<string, Record<string, Operation>> };

export const GENERATED_FILE = path.join(__dirname, '..', 'src', 'api.gen.ts');

/** A JSON Schema (the subset zod emits) as a TypeScript type. */
export function typeOf(s: Schema, indent = ''): string {
  if (s.$ref) return s.$ref.replace('#/components/schemas/', '');
  if (s.const !== undefined) return JSON.stringify(s.const);
  if (s.enum) return s.enum.map((v) => JSON.stringify(v)).join(' | ');
  const union = s.anyOf ?? s.oneOf;
  if (union) return union.map((u) => typeOf(u, indent)).join(' | ');
  if (Array.isArray(s.type)) return s.type.map((t) => typeOf({ ...s, type: t }, indent)).join(' | ');
  switch (s.type) {
    case 'string':
      return 'string';
    case 'integer':
    case 'number':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'null':
      return 'null';
    case 'array': {
      const item = s.items ? typeOf(s.items, indent) : 'unknown';
      return /^[\w"]+$/.test(item) ? `${item}[]` : `Array<${item}>`;
    }
    case 'object':
      return objectType(s, indent);
    default:
      return 'unknown';
  }
}

function objectType(s: Schema, indent: string): string {
  const inner = `${indent}  `;
  const required = new Set(s.required ?? []);
  const fields = Object.entries(s.properties ?? {}).map(
    ([name, p]) => `${inner}${key(name)}${required.has(name) ? '' : '?'}: ${typeOf(p, inner)};`,
  );
  if (typeof s.additionalProperties === 'object')
    fields.push(`${inner}[key: string]: ${typeOf(s.additionalProperties, inner)};`);
  else if (s.additionalProperties !== false && !s.properties) fields.push(`${inner}[key: string]: unknown;`);
  return fields.length ? `{\n${fields.join('\n')}\n${indent}}` : 'Record<string, never>';
}

const key = (name: string) => (/^[A-Za-z_$][\w$]*$/.test(name) ? name : JSON.stringify(name));

/**
 * The source of web/src/api.gen.ts, formatted by the repository's Prettier settings (in a process of
 * its own: Prettier loads its parsers by dynamic import, which Jest's module loader does not run).
 */
export function apiTypesSource(doc: OpenApiDocument): string {
  const prettier = path.join(path.dirname(require.resolve('prettier/package.json')), 'bin', 'prettier.cjs');
  return execFileSync(process.execPath, [prettier, '--stdin-filepath', GENERATED_FILE], {
    input: apiTypes(doc),
    encoding: 'utf8',
  });
}

/** Every JSON operation's path and query parameters, body and answer. */
export function apiTypes(doc: OpenApiDocument): string {
  const out = [
    "// Generated from the API's OpenAPI document by web/tools/openapi-types.ts (`npm run web:api-types`).",
    '// Do not edit: the browser test fails when this file and the served document differ.',
    '',
    'export interface Paths {',
  ];
  for (const [p, methods] of Object.entries(doc.paths)) {
    const ops = Object.entries(methods).filter(([, op]) => isJson(op));
    if (!ops.length) continue;
    out.push(`  ${JSON.stringify(p)}: {`);
    for (const [method, op] of ops) {
      const params = op.parameters ?? [];
      const group = (where: 'path' | 'query') => {
        const ps = params.filter((x) => x.in === where);
        return ps.length
          ? objectType(
              {
                type: 'object',
                properties: Object.fromEntries(ps.map((x) => [x.name, x.schema])),
                required: ps.filter((x) => x.required).map((x) => x.name),
                additionalProperties: false,
              },
              '      ',
            )
          : 'never';
      };
      const body = op.requestBody?.content['application/json'].schema;
      const success = Object.entries(op.responses).find(([status]) => status.startsWith('2'));
      const answer = success?.[1].content?.['application/json']?.schema;
      out.push(
        `    ${method}: {`,
        `      path: ${group('path')};`,
        `      query: ${group('query')};`,
        `      body: ${body ? typeOf(body, '      ') : 'never'};`,
        `      response: ${answer ? typeOf(answer, '      ') : 'void'};`,
        '    };',
      );
    }
    out.push('  };');
  }
  out.push('}', '');
  return out.join('\n');
}

/** The HTML routes (one-click unsubscribe) are not the web app's business. */
const isJson = (op: Operation) =>
  Object.values(op.responses).every((r) => !r.content || 'application/json' in r.content);

/** The document as the API serves it, from an app that is never connected to anything. */
export async function servedDocument(): Promise<OpenApiDocument> {
  const db = createDb('postgres://nobody@127.0.0.1:1/none');
  const temporal = Connection.lazy({ address: '127.0.0.1:1' });
  const server = createApp({ db, temporal }).listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    return (await (await fetch(`http://127.0.0.1:${port}/v1/openapi.json`)).json()) as OpenApiDocument;
  } finally {
    server.close();
    await db.destroy();
  }
}

if (require.main === module) {
  void (async () => {
    await fs.writeFile(GENERATED_FILE, apiTypesSource(await servedDocument()));
    console.log(`Wrote ${path.relative(process.cwd(), GENERATED_FILE)}`);
  })();
}
