/** Bearer API keys: every route but /health and the OpenAPI document belongs to one account. */
import type { RequestHandler } from 'express';
import { accountForKey } from '../db/accounts';
import type { Db } from '../db/connection';
import { ApiError } from './errors';

/**
 * Known keys are remembered for a few seconds: a statistics page polled by many clients should not
 * cost a key lookup per request. A key revoked in the database stops working within this time.
 */
const KEY_CACHE_MS = 10_000;
const KEY_CACHE_MAX = 10_000;

export function authenticate(db: Db): RequestHandler {
  const known = new Map<string, { accountId: string; until: number }>();
  return async (req, res, next) => {
    const header = req.get('authorization') ?? '';
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) throw new ApiError('unauthorized', 'Send an API key: "Authorization: Bearer <key>".');
    const key = match[1]!;
    const hit = known.get(key);
    let accountId = hit && hit.until > Date.now() ? hit.accountId : undefined;
    if (!accountId) {
      accountId = await accountForKey(db, key);
      if (!accountId) throw new ApiError('unauthorized', 'This API key is not valid.');
      if (known.size >= KEY_CACHE_MAX) known.clear();
      known.set(key, { accountId, until: Date.now() + KEY_CACHE_MS });
    }
    res.locals.accountId = accountId;
    next();
  };
}
