/**
 * Named prepared statements for the hot reads. PostgreSQL parses and plans a query every time it
 * arrives as plain text: for the statistics query that is ~0.6 ms of the ~0.7 ms it takes, on
 * every poll of every client. A query opts in with `.modifyFront(prepared('name'))`; the pool then
 * hands it to pg under a name, and each connection parses it once and reuses the plan.
 *
 * Only a query whose text never varies may opt in (its values are parameters, no `in (…)` lists of
 * varying length): each distinct text is one more statement kept by every connection. PgBouncer in
 * transaction mode before 1.21 does not carry prepared statements between connections; the
 * docker-compose topology connects directly.
 */
import { createHash } from 'node:crypto';
import { sql, type RawBuilder } from 'kysely';
import type { PostgresPool, PostgresPoolClient } from 'kysely';
import type pg from 'pg';

const MARK = /^select \/\* prepared:([a-z_]+) \*\//;

/** The marker a query puts at its front (after `select`); it also shows in pg_stat_activity. */
export function prepared(name: string): RawBuilder<unknown> {
  if (!/^[a-z_]+$/.test(name)) throw new Error(`prepared statement names are [a-z_]+: ${name}`);
  return sql.raw(`/* prepared:${name} */`);
}

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
        // Kysely keys its connections by this object: the same client gets the same wrapper.
        wrapper = {
          // Kysely passes either a text and its values or a cursor (streaming), which goes through as is.
          query: ((textOrCursor: string | pg.Submittable, values?: unknown[]) => {
            if (typeof textOrCursor !== 'string') return client.query(textOrCursor);
            const name = nameOf(textOrCursor);
            return client.query(name ? { name, text: textOrCursor, values } : { text: textOrCursor, values });
          }) as unknown as PostgresPoolClient['query'],
          release: (destroy?: boolean) => client.release(destroy),
        };
        wrapped.set(client, wrapper);
      }
      return wrapper;
    },
    end: () => pool.end(),
  };
}
