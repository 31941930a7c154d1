/**
 * One table of routes serves twice: Express registers them (with auth and zod parsing) and the
 * OpenAPI document is generated from them, so the document cannot drift from what is enforced.
 */
import { isUtf8 } from 'node:buffer';
import express, { type Request, type RequestHandler, type Router } from 'express';
import { z } from 'zod';
import { parseOrThrow } from './validation';

type Method = 'get' | 'post' | 'patch' | 'delete';

export type Ctx<Q, B> = {
  accountId: string;
  params: Record<string, string | undefined>;
  query: Q;
  body: B;
  req: Request;
};

export type Route = {
  method: Method;
  /** Express path, e.g. `/v1/contacts/:id`. */
  path: string;
  summary: string;
  tag: string;
  /** false only for `/health` and `/v1/openapi.json`. */
  auth: boolean;
  query?: z.ZodObject;
  body?: z.ZodType;
  /** Success status; 204 sends no body. */
  status: number;
  /** What a success answers (every status but 204 has one): in the document, and checked in tests. */
  response?: z.ZodType;
  /** Error statuses this route documents beyond 400/401. */
  errors?: number[];
  /** The body parser, when not the default 2 MB one (the import takes more). */
  bodyParser?: RequestHandler;
  handler(ctx: Ctx<unknown, unknown>): Promise<unknown>;
};

/** Typed helper: the handler sees the parsed query and body types of its schemas. */
export function route<
  Q extends z.ZodObject | undefined = undefined,
  B extends z.ZodType | undefined = undefined,
>(
  r: Omit<Route, 'handler' | 'query' | 'body' | 'auth' | 'status' | 'response'> &
    ({ status: 204; response?: never } | { status: 200 | 201 | 202; response: z.ZodType }) & {
      auth?: boolean;
      query?: Q;
      body?: B;
      handler(
        ctx: Ctx<
          Q extends z.ZodObject ? z.output<Q> : undefined,
          B extends z.ZodType ? z.output<B> : undefined
        >,
      ): Promise<unknown>;
    },
): Route {
  return { ...r, auth: r.auth ?? true };
}

/** Thrown by the body parser for bytes that are not UTF-8; errors.ts answers it with a 400. */
export class BodyNotUtf8 extends Error {
  readonly type = 'body.not_utf8';
}

/**
 * JSON bodies, UTF-8 only: the parser would otherwise turn each invalid byte into U+FFFD and the
 * row would be stored changed (`bad\xff@ok.test` as `bad�@ok.test`).
 */
export function jsonBody(limit: string): RequestHandler {
  return express.json({
    limit,
    verify: (_req, _res, buf) => {
      if (!isUtf8(buf)) throw new BodyNotUtf8('The request body is not valid UTF-8.');
    },
  });
}

// Generous for a mailing's HTML, small enough that a runaway client cannot exhaust memory.
const defaultBodyParser = jsonBody('2mb');

/**
 * With `checkResponses` (the tests turn it on), an answer that does not match its route's response
 * schema is not sent: the request fails with the mismatch named, so a test cannot pass on a drifted
 * contract.
 */
export function register(
  router: Router,
  routes: Route[],
  authenticate: RequestHandler,
  opts: { checkResponses?: boolean } = {},
): void {
  for (const r of routes) {
    const handlers: RequestHandler[] = [];
    // Who is asking comes before reading what they send: no one unknown gets a large body parsed.
    if (r.auth) handlers.push(authenticate);
    if (r.body) handlers.push(r.bodyParser ?? defaultBodyParser);
    handlers.push(async (req, res) => {
      const query = r.query ? parseOrThrow(r.query, req.query, 'query') : undefined;
      const body = r.body ? parseOrThrow(r.body, req.body, 'body') : undefined;
      const result = await r.handler({
        accountId: res.locals.accountId as string,
        params: req.params as Record<string, string | undefined>,
        query,
        body,
        req,
      });
      if (r.status === 204) return void res.status(204).end();
      if (opts.checkResponses) checkResponse(r, result);
      res.status(r.status).json(result);
    });
    router[r.method](r.path, ...handlers);
  }
}

export class ResponseMismatch extends Error {
  override name = 'ResponseMismatch';
}

function checkResponse(r: Route, result: unknown): void {
  if (!r.response)
    throw new ResponseMismatch(`${r.method.toUpperCase()} ${r.path} declares no response schema`);
  // Through JSON first: the schema describes what the client receives, not the objects in memory.
  const parsed = r.response.safeParse(JSON.parse(JSON.stringify(result)));
  if (!parsed.success)
    throw new ResponseMismatch(
      `${r.method.toUpperCase()} ${r.path} answered outside its schema: ${z.prettifyError(parsed.error)}`,
    );
}

const ERROR = {
  description: 'An error in the contract’s shape',
  content: {
    'application/json': {
      schema: { $ref: '#/components/schemas/Error' },
    },
  },
};

const STATUS_TEXT: Record<number, string> = {
  400: 'Invalid input; `details` names each bad field',
  401: 'Missing or unknown API key',
  404: 'No such resource in this account',
  409: 'Conflict with the current state',
  413: 'Request body too large',
  422: 'Valid JSON that breaks a rule',
  429: 'Too many requests from this client or with this key, or too many failed keys; see Retry-After',
  503: 'A dependency (Temporal, the database) is unavailable; nothing was changed',
};

function jsonSchema(schema: z.ZodType, io: 'input' | 'output') {
  const generated = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<string, unknown>;
  delete generated.$schema; // the document's own dialect applies
  return generated;
}

export function openApiDocument(routes: Route[], info: { title: string; version: string }) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const path = r.path.replace(/:([A-Za-z]+)/g, '{$1}');
    const params = [...r.path.matchAll(/:([A-Za-z]+)/g)].map((m) => ({
      name: m[1],
      in: 'path',
      required: true,
      schema: { type: 'string' },
    }));
    const queryParams = r.query
      ? Object.entries(r.query.shape).map(([name, s]) => ({
          name,
          in: 'query',
          required: !(s as z.ZodType).safeParse(undefined).success,
          schema: jsonSchema(s as z.ZodType, 'input'),
        }))
      : [];
    const responses: Record<string, unknown> = {
      [r.status]: {
        description: r.status === 204 ? 'Done, no content' : 'Success',
        ...(r.response && { content: { 'application/json': { schema: jsonSchema(r.response, 'output') } } }),
      },
    };
    const errors = new Set([
      ...(r.body || r.query ? [400] : []),
      // Routes with a key are rate limited (429) and read the database: while it is away they
      // answer 503 (both with Retry-After).
      ...(r.auth ? [401, 429, 503] : []),
      ...(r.errors ?? []),
    ]);
    if (r.body) errors.add(413);
    for (const status of [...errors].sort())
      responses[status] = { ...ERROR, description: STATUS_TEXT[status] };
    (paths[path] ??= {})[r.method] = {
      summary: r.summary,
      tags: [r.tag],
      ...(r.auth ? {} : { security: [] }),
      parameters: [...params, ...queryParams],
      ...(r.body && {
        requestBody: {
          required: true,
          content: { 'application/json': { schema: jsonSchema(r.body, 'input') } },
        },
      }),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info,
    servers: [{ url: '/' }],
    security: [{ bearer: [] }],
    paths,
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'An API key of the account' },
      },
      schemas: {
        Error: {
          type: 'object',
          required: ['error'],
          properties: {
            error: {
              type: 'object',
              required: ['code', 'message', 'details'],
              properties: {
                code: { type: 'string' },
                message: { type: 'string' },
                details: { type: 'array', items: { type: 'object' } },
              },
            },
          },
        },
      },
    },
  };
}
