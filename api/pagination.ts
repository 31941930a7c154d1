/**
 * Keyset pagination over ids: `?limit=` (1–1000, default 50), an opaque `?cursor=` (the id of the
 * previous page's last item) and `?order=oldest|newest`. Repositories fetch one row more than asked
 * (db/page.ts).
 */
import { z } from 'zod';
import type { Page } from '../db/page';
import { ApiError } from './errors';
import { isId } from './validation';

export const pageQuery = {
  limit: z.coerce.number().int().min(1).max(1000).default(50),
  cursor: z.string().max(200).optional(),
  /** `newest`: the newest first (a customer's list of mailings); `oldest`, the default, as before. */
  order: z.enum(['oldest', 'newest']).default('oldest'),
};

/** The answer of every list: a page of items and the cursor of the next page. */
export const pageOf = <T extends z.ZodType>(item: T) =>
  z.strictObject({ items: z.array(item), nextCursor: z.string().nullable() });

/**
 * One page: `fetch` gets where to start and how many, `render` maps each row to its JSON. The extra
 * row only says that there is a next page.
 */
export async function paginate<R extends { id: string }, T>(
  query: { limit: number; cursor?: string | undefined; order?: 'oldest' | 'newest' },
  fetch: (page: Page) => Promise<R[]>,
  render: (row: R) => T,
): Promise<{ items: T[]; nextCursor: string | null }> {
  const rows = await fetch({
    after: decodeCursor(query.cursor),
    limit: query.limit,
    newestFirst: query.order === 'newest',
  });
  const items = rows.slice(0, query.limit);
  const last = items.at(-1);
  return {
    items: items.map(render),
    nextCursor: rows.length > query.limit && last ? Buffer.from(last.id).toString('base64url') : null,
  };
}

function decodeCursor(cursor: string | undefined): string | null {
  if (cursor === undefined) return null;
  const id = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!isId(id) || Buffer.from(id).toString('base64url') !== cursor)
    throw new ApiError('invalid_input', 'Invalid query: cursor: is not a cursor from this API.', [
      { field: 'cursor', message: 'is not a cursor from this API' },
    ]);
  return id;
}
