/** Keyset pagination over ids: `?limit=` (1–1000, default 50) and an opaque `?cursor=`. */
import { z } from 'zod';
import { ApiError } from './errors';
import { isId } from './validation';

export const pageQuery = {
  limit: z.coerce.number().int().min(1).max(1000).default(50),
  cursor: z.string().max(200).optional(),
};

export function decodeCursor(cursor: string | undefined): string | null {
  if (cursor === undefined) return null;
  const id = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!isId(id) || Buffer.from(id).toString('base64url') !== cursor)
    throw new ApiError('invalid_input', 'Invalid query: cursor: is not a cursor from this API.', [
      { field: 'cursor', message: 'is not a cursor from this API' },
    ]);
  return id;
}

/** `rows` were fetched with `limit + 1`: the extra row only says that there is a next page. */
export function page<R, T>(rows: R[], limit: number, idOf: (r: R) => string, render: (r: R) => T) {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return {
    items: items.map(render),
    nextCursor: rows.length > limit && last ? Buffer.from(idOf(last)).toString('base64url') : null,
  };
}
