/**
 * Row ids are PostgreSQL bigints, written as decimal strings. A string that is no such number (or
 * one beyond 2^63 - 1, which the database refuses with an error) names no row.
 */
export function isId(value: string): boolean {
  return /^[1-9][0-9]{0,18}$/.test(value) && BigInt(value) <= 9223372036854775807n;
}
