/** Bearer API keys: every route but /health and the OpenAPI document belongs to one account. */
import type { RequestHandler } from 'express';
import { accountForKey } from '../db/accounts';
import type { Db } from '../db/connection';
import { ApiError } from './errors';

export function authenticate(db: Db): RequestHandler {
  return async (req, res, next) => {
    const header = req.get('authorization') ?? '';
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) throw new ApiError('unauthorized', 'Send an API key: "Authorization: Bearer <key>".');
    const accountId = await accountForKey(db, match[1]!);
    if (!accountId) throw new ApiError('unauthorized', 'This API key is not valid.');
    res.locals.accountId = accountId;
    next();
  };
}
