/** zod at the edge: a failed parse becomes a 400 whose details name every bad field. */
import { z } from 'zod';
import { ApiError, type ErrorDetail } from './errors';

/** zod issues as the contract's details: one per bad field, unknown fields named one by one. */
function issuesToDetails(issues: readonly z.core.$ZodIssue[]): ErrorDetail[] {
  return issues.flatMap((issue) => {
    const at = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys')
      return issue.keys.map((k) => ({ field: at ? `${at}.${k}` : k, message: 'unknown field' }));
    return [{ field: at, message: issue.message }];
  });
}

export function parseOrThrow<S extends z.ZodType>(
  schema: S,
  value: unknown,
  where: 'body' | 'query',
): z.output<S> {
  if (where === 'body' && value === undefined)
    throw new ApiError('invalid_input', 'Send a JSON body with "Content-Type: application/json".', [
      { field: 'body', message: 'missing' },
    ]);
  const parsed = schema.safeParse(value ?? {});
  if (parsed.success) return parsed.data;
  const details = issuesToDetails(parsed.error.issues);
  const first = details[0];
  throw new ApiError(
    'invalid_input',
    first
      ? `Invalid ${where === 'body' ? 'request body' : 'query'}: ${first.field ? `${first.field}: ` : ''}${first.message}.`
      : `Invalid ${where}.`,
    details.map((d) => ({ ...d, field: d.field || where })),
  );
}

/** Ids are positive bigint strings; anything else cannot name a row, so it answers like a missing one. */
export function isId(value: string): boolean {
  return /^[1-9][0-9]{0,18}$/.test(value) && BigInt(value) <= 9223372036854775807n;
}

export function idParam(value: string | undefined, what: string): string {
  if (value === undefined || !isId(value))
    throw new ApiError('not_found', `No ${what} ${JSON.stringify(value ?? '')}.`);
  return value;
}

/** A string field: trimmed, without control characters, bounded. */
export const text = (max: number) =>
  z
    .string()
    .trim()
    .max(max)

    .refine((s) => !/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(s), 'contains control characters');

/** An id in a request body: a positive integer as a string (numbers are accepted too). */
export const idField = z.union([z.string(), z.number().int()]).transform((v, ctx) => {
  const s = String(v);
  if (!isId(s)) {
    ctx.addIssue({ code: 'custom', message: 'is not an id' });
    return z.NEVER;
  }
  return s;
});

/** A time in an answer: ISO-8601 UTC, as `Date.toISOString()` writes it. */
export const timestamp = z.iso.datetime();
