/** The one error type of the API; `errorMiddleware` renders it in the contract's shape. */
import type { ErrorRequestHandler } from 'express';
import { isDatabaseUnavailable, isTransactionConflict } from '../db/connection';

export type ErrorCode =
  | 'invalid_input'
  | 'unauthorized'
  | 'not_found'
  | 'conflict'
  | 'payload_too_large'
  | 'unprocessable'
  | 'rate_limited'
  | 'unavailable'
  | 'internal';

const STATUS: Record<ErrorCode, number> = {
  invalid_input: 400,
  unauthorized: 401,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  unprocessable: 422,
  rate_limited: 429,
  unavailable: 503,
  internal: 500,
};

export type ErrorDetail = { field?: string; message: string; [k: string]: unknown };

export class ApiError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: ErrorDetail[] = [],
    /** Sent as Retry-After (a 429 says how long; a 503 without it gets 5 s). */
    readonly opts: { retryAfterSeconds?: number } = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }
  get status(): number {
    return STATUS[this.code];
  }
}

export const errorMiddleware: ErrorRequestHandler = (err: unknown, _req, res, _next) => {
  const apiError = toApiError(err);
  if (apiError.code === 'internal') console.error(err);
  // Outages are short (a restart, a failover): tell clients when asking again makes sense.
  if (apiError.opts.retryAfterSeconds !== undefined)
    res.setHeader('Retry-After', String(apiError.opts.retryAfterSeconds));
  else if (apiError.code === 'unavailable') res.setHeader('Retry-After', '5');
  res.status(apiError.status).json({
    error: { code: apiError.code, message: apiError.message, details: apiError.details },
  });
};

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** Errors thrown by Express's body parser carry a `type`; they are the client's fault, not ours. */
function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  const e = err as { type?: string; status?: number; message?: string };
  if (e.type === 'entity.too.large')
    return new ApiError('payload_too_large', 'The request body is too large.');
  if (e.type === 'body.not_utf8')
    return new ApiError('invalid_input', 'The request body is not valid UTF-8.', [
      { field: 'body', message: 'is not valid UTF-8' },
    ]);
  if (e.type === 'entity.parse.failed') {
    // Valid JSON that is no object or array (`null`, `"x"`, `1`): the parser's own words would
    // call it invalid JSON.
    const body = typeof (err as { body?: unknown }).body === 'string' ? (err as { body: string }).body : '';
    if (!/^[\s]*[{[]/.test(body) && isJson(body))
      return new ApiError('invalid_input', 'The request body must be a JSON object.', [
        { field: 'body', message: 'is not a JSON object' },
      ]);
    return new ApiError('invalid_input', 'The request body is not valid JSON.', [
      { field: 'body', message: e.message ?? 'is not valid JSON' },
    ]);
  }
  if (typeof e.status === 'number' && e.status >= 400 && e.status < 500)
    return new ApiError('invalid_input', e.message ?? 'Bad request.');
  if (isDatabaseUnavailable(err))
    return new ApiError('unavailable', 'The database cannot be reached right now; try again shortly.');
  // Two requests that touched the same rows in opposite orders: PostgreSQL rolled this one's
  // transaction back. The writes of many rows that can collide (members, imports) are safe to send
  // again: what was added before counts as existing the second time.
  if (isTransactionConflict(err))
    return new ApiError(
      'unavailable',
      'This request collided with another one changing the same data, and what it was writing then was rolled back; send it again.',
      [],
      { retryAfterSeconds: 1 },
    );
  return new ApiError('internal', 'Something went wrong on our side.');
}
