/** Bearer API keys: every route but /health and the OpenAPI document belongs to one account. */
import type { RequestHandler } from 'express';
import { accountForKey } from '../db/accounts';
import type { Db } from '../db/connection';
import { ApiError } from './errors';
import { clientId, DEFAULT_RATE_LIMITS, rateLimited, type RateLimits, TokenBuckets } from './rate-limit';

/**
 * Known keys are remembered for a few seconds: a statistics page polled by many clients should not
 * cost a key lookup per request. A key revoked in the database stops working within this time.
 */
const KEY_CACHE_MS = 10_000;
const KEY_CACHE_MAX = 10_000;

/**
 * With `limits` (false: none, for the bench), a client over its limit, a key over its own, and a
 * client whose keys failed too often get 429 before anything else is done; see api/rate-limit.ts.
 */
export function authenticate(db: Db, limits: RateLimits | false = DEFAULT_RATE_LIMITS): RequestHandler {
  const known = new Map<string, { accountId: string; until: number }>();
  const perClient = limits && new TokenBuckets(limits.perClient);
  const perKey = limits && new TokenBuckets(limits.perKey);
  const failures = limits && new TokenBuckets(limits.failedAuth);
  return async (req, res, next) => {
    const client = clientId(req.ip);
    const clientWait = perClient ? perClient.take(client) : 0;
    if (clientWait) throw rateLimited('from this address', clientWait);
    const header = req.get('authorization') ?? '';
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) throw new ApiError('unauthorized', 'Send an API key: "Authorization: Bearer <key>".');
    const key = match[1]!;
    const hit = known.get(key);
    let accountId = hit && hit.until > Date.now() ? hit.accountId : undefined;
    if (!accountId) {
      // Every lookup takes a token of the client's failure bucket, given back when the key is good:
      // a client whose keys failed too often gets no more lookups for a while, however many it sends
      // at once (a key this process knows to be good, above, is not held up by someone's guessing).
      const failedWait = failures ? failures.take(client) : 0;
      if (failedWait) throw rateLimited('with keys that are not valid from this address', failedWait);
      accountId = await accountForKey(db, key).catch((err: unknown) => {
        if (failures) failures.giveBack(client); // an outage is not a failed key
        throw err;
      });
      if (!accountId) throw new ApiError('unauthorized', 'This API key is not valid.');
      if (failures) failures.giveBack(client);
      if (known.size >= KEY_CACHE_MAX) known.clear();
      known.set(key, { accountId, until: Date.now() + KEY_CACHE_MS });
    }
    const keyWait = perKey ? perKey.take(key) : 0;
    if (keyWait) throw rateLimited('with this API key', keyWait);
    res.locals.accountId = accountId;
    next();
  };
}
