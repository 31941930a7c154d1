/** zod at the edge: a failed parse becomes a 400 whose details name every bad field. */
import { z } from 'zod';
import { isId } from '../domain/ids';
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

/**
 * zod's own wording for the common issues (`Too big: expected string to have <=200 characters`,
 * `Invalid input`) said as the contract says the rest: what is wrong with the field. A message a
 * schema gives itself comes first.
 */
export function inWords(issue: z.core.$ZodRawIssue): string | undefined {
  const n = (v: unknown) => String(v);
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return 'is required';
      if (issue.expected === 'number' && typeof issue.input === 'number') return 'is not a number';
      if (issue.expected === 'int') return 'must be a whole number';
      return `must be ${issue.expected === 'array' || issue.expected === 'object' ? 'an' : 'a'} ${issue.expected}`;
    case 'too_big':
      if (issue.origin === 'string') return `is longer than ${n(issue.maximum)} characters`;
      if (issue.origin === 'array') return `has more than ${n(issue.maximum)} items`;
      if (issue.maximum === Number.MAX_SAFE_INTEGER)
        return 'is too large for a JSON number: send it as a string';
      return `is more than ${n(issue.maximum)}`;
    case 'too_small':
      if (issue.origin === 'string')
        return Number(issue.minimum) <= 1 ? 'is empty' : `is shorter than ${n(issue.minimum)} characters`;
      if (issue.origin === 'array')
        return Number(issue.minimum) <= 1 ? 'is empty' : `has fewer than ${n(issue.minimum)} items`;
      return `is less than ${n(issue.minimum)}`;
    case 'invalid_value':
      return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'invalid_union': {
      // `z.union([text, z.null()])` given a number: each branch said which type it wanted.
      const wanted = [
        ...new Set(issue.errors.flat().flatMap((e) => (e.code === 'invalid_type' ? [e.expected] : []))),
      ];
      if (wanted.length && wanted.length === issue.errors.length)
        return `must be ${wanted.map((t) => (t === 'null' ? 'null' : `a ${t}`)).join(' or ')}`;
      return undefined;
    }
    default:
      return undefined;
  }
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
  const parsed = schema.safeParse(value ?? {}, { error: inWords });
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
export { isId };

export function idParam(value: string | undefined, what: string): string {
  if (value === undefined || !isId(value))
    throw new ApiError('not_found', `No ${what} ${JSON.stringify(value ?? '')}.`);
  return value;
}

// A lone UTF-16 surrogate is not Unicode: it would be stored silently as U+FFFD.
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
// CR, LF and Unicode's own line breaks (NEL, LINE and PARAGRAPH SEPARATOR).
const LINE_BREAK = /[\r\n\u0085\u2028\u2029]/;
// C0 and C1 controls and DEL; a tab is allowed (it is whitespace in a header too).
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;
// The overrides: `\u202Eevil` shows as `live`, in lists and in a Subject alike. Embeddings and
// isolates only set a direction (right-to-left names and subjects use them) and stay allowed.
const BIDI_CONTROL = /[\u202d\u202e]/;
// Only format characters and spaces (U+200B, U+2060, ...): a name nobody can see or tell apart.
const INVISIBLE_ONLY = /^[\p{Cf}\p{Z}\s]+$/u;

const codePoint = (c: string) => `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;

/**
 * Why a string cannot be stored, or undefined. Every string the API stores is checked: NUL cannot be
 * stored by PostgreSQL (it was a 500) and a lone surrogate would be changed on the way in. One-line
 * fields (names, subject) also refuse line breaks, which would end up raw in a header, and controls.
 */
export function unstorable(s: string, opts: { oneLine: boolean }): string | undefined {
  if (s.includes('\u0000')) return 'contains a NUL character';
  if (LONE_SURROGATE.test(s)) return 'is not valid Unicode (a lone surrogate)';
  if (!opts.oneLine) return undefined;
  if (LINE_BREAK.test(s)) return 'contains a line break';
  if (CONTROL.test(s)) return 'contains control characters';
  const bidi = BIDI_CONTROL.exec(s)?.[0];
  if (bidi) return `contains a bidirectional control character (${codePoint(bidi)})`;
  if (s !== '' && INVISIBLE_ONLY.test(s)) return 'has no visible character';
  return undefined;
}

const refuse = (oneLine: boolean) => (s: string, ctx: z.core.$RefinementCtx<string>) => {
  const message = unstorable(s, { oneLine });
  if (message) ctx.addIssue({ code: 'custom', message });
};

/** A one-line string field (a name, a subject): trimmed, bounded, no line break or control character. */
export const text = (max: number) => z.string().trim().max(max).superRefine(refuse(true));

/** A multi-line body (a mailing's text or HTML): kept as sent, bounded, no NUL. */
export const bodyText = (max: number) => z.string().max(max).superRefine(refuse(false));

/** For a stored string with checks of its own (an email): no NUL, no lone surrogate. */
export const refuseUnstorable = refuse(false);

/** The same for a one-line string (a domain name): no line break or control character either. */
export const refuseOneLine = refuse(true);

/** An id in a request body: a positive integer as a string (numbers are accepted too). */
// A number is taken too, as long as JSON carries it exactly (int() refuses one beyond 2^53 - 1:
// 9007199254740993 arrives as …992, another row).
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
