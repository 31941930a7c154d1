/** The Express application, built from its dependencies so tests and `api/main.ts` share it. */
import { Client, type Connection } from '@temporalio/client';
import express from 'express';
import { z } from 'zod';
import { DEFAULT_TASK_QUEUE } from '../contract/names';
import { type Db, pingDb } from '../db/connection';
import { resolverFor } from '../runtime/dns';
import { authenticate } from './auth';
import { ApiError, errorMiddleware } from './errors';
import { DEFAULT_RATE_LIMITS, type RateLimits } from './rate-limit';
import { openApiDocument, register, route, type Route } from './route';
import { contactImportRoutes } from './routes/contact-import';
import { contactRoutes } from './routes/contacts';
import { deliveryRoutes } from './routes/deliveries';
import { groupRoutes } from './routes/groups';
import { mailingResultRoutes } from './routes/mailing-results';
import { mailingRoutes } from './routes/mailings';
import { sendingDomainRoutes } from './routes/sending-domains';
import { unsubscribeOpenApi, unsubscribeRouter } from './routes/unsubscribe';
import { singleFlight } from './single-flight';
import { webApp } from './web';

export type AppDeps = {
  db: Db;
  temporal: Connection;
  namespace?: string;
  taskQueue?: string;
  temporalUiUrl?: string;
  /** Check every answer against its route's response schema (tests). */
  checkResponses?: boolean;
  /** Rate limits (api/rate-limit.ts); unset, the configuration's defaults; false, none. */
  rateLimits?: RateLimits | false;
  /** BOUNCE_SECRET, which signs the one-click unsubscribe tokens; unset, `/u/<token>` answers 404. */
  unsubscribeSecret?: string;
  /** DKIM_ENCRYPTION_KEY, which seals the DKIM keys of new sending domains; unset, adding one answers 503. */
  dkimKeySecret?: string;
  /** DNS_SERVER (ip:port): the resolver of sending-domain verification; unset, the system's. */
  dnsServer?: string;
  /** EHLO_HOSTNAME: the host the suggested SPF record names. */
  mailHost?: string;
  /** TRUST_PROXY: the proxies whose X-Forwarded-For names the client (rate limits); unset, none. */
  trustProxy?: string | number;
};

const health = z.enum(['ok', 'down']);

export function createApp(deps: AppDeps): express.Express {
  const namespace = deps.namespace ?? 'default';
  const client = new Client({ connection: deps.temporal, namespace });
  const app = express();
  app.disable('x-powered-by');
  if (deps.trustProxy !== undefined) app.set('trust proxy', deps.trustProxy);

  // Anyone may ask (no key, no rate limit): concurrent checks share one ping of each dependency, so
  // a flood of them is one query at a time, not one per request.
  const dependencies = singleFlight(
    () => 'health',
    () => Promise.all([pingDb(deps.db), pingTemporal(deps.temporal)]),
  );

  const routes: Route[] = [
    route({
      method: 'get',
      path: '/health',
      tag: 'health',
      summary: 'Liveness of the API and of what it depends on; 503 names the part that is down',
      auth: false,
      status: 200,
      response: z.strictObject({ status: z.literal('ok'), temporal: health, database: health }),
      errors: [503],
      async handler() {
        const [database, temporal] = await dependencies(undefined);
        if (database && temporal)
          return { status: 'ok' as const, temporal: 'ok' as const, database: 'ok' as const };
        throw new HealthError({ status: 'unavailable', temporal: word(temporal), database: word(database) });
      },
    }),
    ...contactRoutes(deps.db),
    ...contactImportRoutes(deps.db),
    ...groupRoutes(deps.db),
    ...mailingRoutes({ db: deps.db, client, taskQueue: deps.taskQueue ?? DEFAULT_TASK_QUEUE }),
    ...mailingResultRoutes(deps.db),
    ...sendingDomainRoutes({
      db: deps.db,
      keySecret: deps.dkimKeySecret,
      resolver: resolverFor(deps.dnsServer, { timeoutMs: 5_000 }),
      spfHost: deps.mailHost ?? 'localhost',
    }),
    ...deliveryRoutes({
      db: deps.db,
      namespace,
      temporalUiUrl: deps.temporalUiUrl ?? 'http://localhost:8233',
    }),
  ];
  // The document describes every route, itself included; it is built once, when first asked.
  let document: ReturnType<typeof openApiDocument> | undefined;
  routes.push(
    route({
      method: 'get',
      path: '/v1/openapi.json',
      tag: 'meta',
      summary: 'This document',
      auth: false,
      status: 200,
      response: z.looseObject({ openapi: z.string(), paths: z.record(z.string(), z.unknown()) }),
      handler: () => Promise.resolve((document ??= withUnsubscribe(openApiDocument(routes, info)))),
    }),
  );

  const router = express.Router();
  register(router, routes, authenticate(deps.db, deps.rateLimits ?? DEFAULT_RATE_LIMITS), {
    checkResponses: deps.checkResponses ?? false,
  });
  app.use(router);
  if (deps.unsubscribeSecret) app.use(unsubscribeRouter({ db: deps.db, secret: deps.unsubscribeSecret }));
  // The customer's web app at `/`, after every API route: it never answers for one.
  app.use(webApp());

  app.use((req, _res, next) => next(new ApiError('not_found', `No route ${req.method} ${req.path}.`)));
  app.use((err: unknown, req: express.Request, res: express.Response, next: express.NextFunction) => {
    if (err instanceof HealthError) return void res.status(503).json(err.body);
    errorMiddleware(err, req, res, next);
  });
  return app;
}

const info = { title: 'Deliverability API', version: '1' };

/** The HTML routes of one-click unsubscribe are outside the JSON route table: added to its document. */
function withUnsubscribe(doc: ReturnType<typeof openApiDocument>) {
  return { ...doc, paths: { ...doc.paths, ...unsubscribeOpenApi } };
}

/** /health answers 503 in its own shape (which part is down), not the error shape. */
class HealthError extends Error {
  constructor(readonly body: Record<string, string>) {
    super('unhealthy');
  }
}

const word = (ok: boolean) => (ok ? 'ok' : 'down');

async function pingTemporal(connection: Connection, timeoutMs = 2_000): Promise<boolean> {
  try {
    await connection.withDeadline(Date.now() + timeoutMs, () => connection.healthService.check({}));
    return true;
  } catch {
    return false;
  }
}
