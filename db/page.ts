/** Keyset pagination over bigint ids, the one way every list is paged. */
import { type SelectQueryBuilder, sql } from 'kysely';

/**
 * `after`: the last id of the previous page; `limit`: the page size; `newestFirst`: by id
 * descending (the newest rows first), `after` then the id below which the page starts.
 */
export type Page = { after: string | null; limit: number; newestFirst?: boolean };

/**
 * Runs `query` for one page ordered by `idColumn`, fetching one row more than asked: its presence
 * says that there is a next page (see api/pagination.ts).
 */
export function keysetPage<DB, TB extends keyof DB, O>(
  query: SelectQueryBuilder<DB, TB, O>,
  idColumn: string,
  page: Page,
): Promise<O[]> {
  const id = sql.ref(idColumn);
  let q = query.orderBy(id, page.newestFirst ? 'desc' : 'asc').limit(page.limit + 1);
  if (page.after !== null) q = q.where(id, page.newestFirst ? '<' : '>', page.after);
  return q.execute();
}
