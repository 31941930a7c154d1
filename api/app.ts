/** The Express application, built from its dependencies so tests and `api/main.ts` share it. */
import type { Connection } from '@temporalio/client';
import express from 'express';
import { type Db, pingDb } from '../db/connection';
import { ApiError, errorMiddleware } from './errors';

export type AppDeps = {
  db: Db;
  temporal: Connection;
};

export function createApp(deps: AppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(express.json({ limit: '10mb' }));

  app.get('/health', async (_req, res) => {
    const [database, temporal] = await Promise.all([pingDb(deps.db), pingTemporal(deps.temporal)]);
    const body = {
      status: database && temporal ? 'ok' : 'unavailable',
      temporal: word(temporal),
      database: word(database),
    };
    res.status(database && temporal ? 200 : 503).json(body);
  });

  app.use((req, _res, next) => next(new ApiError('not_found', `No route ${req.method} ${req.path}.`)));
  app.use(errorMiddleware);
  return app;
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
