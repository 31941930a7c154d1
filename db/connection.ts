import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { preparingPool } from './prepared';
import type { Database } from './schema';

export type Db = Kysely<Database>;

export function createDb(databaseUrl: string, opts: { maxConnections?: number } = {}): Db {
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: opts.maxConnections ?? 10,
    // Fail fast when the server is away: callers (health check, activity retries) decide what next.
    connectionTimeoutMillis: 5_000,
  });
  // A client losing its server (restart, outage) must not crash the process: the pool catches the
  // error of an idle client; a checked-out one (inside a transaction, between two queries) has no
  // listener of the pool's, and an 'error' event without one is thrown. Its query fails anyway,
  // and the pool drops the broken client when it comes back.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool: preparingPool(pool) }) });
}

/**
 * True for errors that say the database cannot be reached right now (refused, dropped, shutting
 * down, pool timeout), as opposed to a query it rejected: the API answers these with a 503.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | null;
  const code = typeof e?.code === 'string' ? e.code : '';
  const message = typeof e?.message === 'string' ? e.message : '';
  return (
    ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN'].includes(code) ||
    // SQLSTATE class 08 (connection exception) and 57P01–57P03 (shutdown, crash, starting up).
    /^08/.test(code) ||
    /^57P0[1-3]$/.test(code) ||
    /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(
      message,
    )
  );
}

/** True when the database answers a trivial query within the timeout. */
export async function pingDb(db: Db, timeoutMs = 2_000): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  try {
    return await Promise.race([sql`select 1`.execute(db).then(() => true), timeout]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

/** Creates the database when it does not exist yet (CREATE DATABASE cannot take parameters). */
export async function ensureDatabase(serverUrl: string, name: string): Promise<void> {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`unsafe database name: ${name}`);
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    const found = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (found.rowCount === 0) await client.query(`create database ${name}`);
  } finally {
    await client.end();
  }
}

export async function dropDatabase(serverUrl: string, name: string): Promise<void> {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`unsafe database name: ${name}`);
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(`drop database if exists ${name} with (force)`);
  } finally {
    await client.end();
  }
}

/** Replaces the database name of a connection string. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/**
 * True when PostgreSQL aborted the transaction for colliding with another one: a deadlock (40P01)
 * or a serialization failure (40001). Nothing of it was committed; running it again is safe.
 */
export function isTransactionConflict(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === '40P01' || code === '40001';
}

/**
 * True for PostgreSQL's data exceptions (SQLSTATE class 22: a value out of range, a byte it cannot
 * store): the same statement fails the same way every time, so retrying it is no cure.
 */
export function isDataException(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('22');
}

/** True for PostgreSQL's unique violation (SQLSTATE 23505): the row exists already. */
export function isUniqueViolation(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === '23505';
}
