/**
 * Named prepared statements for the hot reads. PostgreSQL parses and plans a query every time it
 * arrives as plain text: for the statistics query that is ~0.6 ms of the ~0.7 ms it takes, on
 * every poll of every client. A query opts in with `.modifyFront(prepared('name'))`; the pool then
 * hands it to pg under a name, and each connection parses it once and reuses the plan.
 *
 * Only a plain `select` may opt in (Kysely writes `with`, `explain` or `distinct on` before the
 * marker, and such a query would quietly run unprepared), and only one whose text never varies (its
 * values are parameters, no `in (…)` lists of varying length): each distinct text is one more
 * statement kept by every connection. A pooler between the service and PostgreSQL must carry
 * prepared statements: PgBouncer in transaction mode from 1.21 on with `max_prepared_statements`
 * above 0 (docs/operations.md); the docker-compose topology connects directly.
 */
import { createHash } from 'node:crypto';
import { sql, type RawBuilder } from 'kysely';
import type { PostgresPool, PostgresPoolClient } from 'kysely';
import type pg from 'pg';

const MARK = /^select \/\* prepared:([a-z_]+) \*\//;

/** The marker a query puts at its front (after `select`); it also shows in pg_stat_activity. */
export function prepared(name: string): RawBuilder<unknown> {
  // PostgreSQL keeps 63 bytes of a statement's name: the marker, an underscore and 12 of the hash fit.
  if (!/^[a-z_]{1,40}$/.test(name))
    throw new Error(`prepared statement names are 1 to 40 of [a-z_]: ${name}`);
  return sql.raw(`/* prepared:${name} */`);
}

/**
 * A statement prepared on this connection no longer fits: a migration changed the type of what it
 * returns (0A000, "cached plan must not change result type"), or something dropped it (26000).
 */
const isStale = (err: unknown) => ['0A000', '26000'].includes((err as { code?: unknown })?.code as string);

/**
 * The pool Kysely gets: marked queries go to pg as named statements, everything else as before.
 * The name carries a hash of the text, so two texts under one marker are two statements, never
 * pg's "Prepared statements must be unique" error.
 */
export function preparingPool(pool: pg.Pool): PostgresPool {
  const wrapped = new WeakMap<pg.PoolClient, PostgresPoolClient>();
  // Only marked texts are remembered: their number is bounded by the code, not by the traffic.
  const names = new Map<string, string>();
  const nameOf = (text: string): string | undefined => {
    if (!text.startsWith('select /*')) return undefined; // the common case, decided at once
    const known = names.get(text);
    if (known) return known;
    const mark = MARK.exec(text);
    if (!mark) return undefined;
    const name = `${mark[1]}_${createHash('sha1').update(text).digest('hex').slice(0, 12)}`;
    names.set(text, name);
    return name;
  };
  return {
    async connect() {
      const client = await pool.connect();
      let wrapper = wrapped.get(client);
      if (!wrapper) {
        // Set once a statement went stale: the connection is closed when released, and the next
        // one prepares the statement afresh (pg remembers it as prepared on this one).
        let stale = false;
        // Kysely keys its connections by this object: the same client gets the same wrapper.
        wrapper = {
          // Kysely passes a text and its values, or a cursor (streaming), which goes through as is.
          // The cast: one function for pg's two overloads, which TypeScript cannot check as such.
          query: ((textOrCursor: string | pg.Submittable, values?: unknown[]) => {
            // A cursor is returned as is (not wrapped in a promise): Kysely reads from it at once.
            if (typeof textOrCursor !== 'string') return client.query(textOrCursor);
            const text = textOrCursor;
            const name = stale ? undefined : nameOf(text);
            if (!name) return client.query({ text, values });
            return client.query({ name, text, values }).catch((err: unknown) => {
              if (!isStale(err)) throw err;
              stale = true;
              return client.query({ text, values });
            });
          }) as unknown as PostgresPoolClient['query'],
          release: (destroy?: boolean) => client.release(destroy || stale),
        };
        wrapped.set(client, wrapper);
      }
      return wrapper;
    },
    end: () => pool.end(),
  };
}
