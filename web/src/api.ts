/**
 * The API client: every call typed by the OpenAPI document the API serves (api.gen.ts), the key
 * from the session, the API's errors as an ApiError whose words can be shown next to what failed.
 */
import type { Paths } from './api.gen';

type Method = 'get' | 'post' | 'patch' | 'delete';
type Field<O, K extends string> = O extends Record<K, infer X> ? X : never;
type Options<O> = {
  path?: Field<O, 'path'>;
  query?: Field<O, 'query'>;
  body?: Field<O, 'body'>;
};
type Result<O> = Field<O, 'response'>;
type Get<P extends keyof Paths> = Paths[P] extends { get: infer O } ? Result<O> : never;

export type Mailing = Get<'/v1/mailings/{id}'>;
export type Stats = Get<'/v1/mailings/{id}/stats'>;
export type Recipient = Get<'/v1/mailings/{id}/recipients'>['items'][number];
export type DeliveryStatus = Recipient['status'];
export type Delivery = Get<'/v1/deliveries/{id}'>;
export type Contact = Get<'/v1/contacts/{id}'>;
export type ContactStatus = Contact['status'];
export type Group = Get<'/v1/groups/{id}'>;
export type NewMailing = Field<Paths['/v1/mailings']['post'], 'body'>;
export type { ImportRow } from './csv';
export type ImportResult = Result<Paths['/v1/contacts/import']['post']>;
export type Page<T> = { items: T[]; nextCursor: string | null };

const KEY_STORAGE = 'deliverability.apiKey';

export const session = {
  key: (): string | null => sessionStorage.getItem(KEY_STORAGE),
  signIn: (key: string) => sessionStorage.setItem(KEY_STORAGE, key),
  signOut: () => sessionStorage.removeItem(KEY_STORAGE),
};

/** What went wrong, in the API's words: `details` names each bad field. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: { field: string; message: string }[] = [],
  ) {
    super(message);
  }
  /** The message about one field, if the API named it. */
  about(field: string): string | undefined {
    return this.details.find((d) => d.field === field || d.field.startsWith(`${field}.`))?.message;
  }
}

/** A key no account can have: the sign-in page says it before asking, any call says it too. */
export const INVALID_KEY =
  'This key opens no account: it holds a character that no key has (keys are plain ASCII letters, digits and punctuation, without spaces). Check it and try again.';

/**
 * Keys are printable ASCII (`dk_` and base64url): a letter of another alphabet or a pasted
 * zero-width space is a mistyped key, and a browser could not even send it in a header.
 */
export const isKeyShaped = (key: string) => /^[\x21-\x7e]+$/.test(key);

/** Called when the API says the key opens nothing (401): the app goes back to the sign-in page. */
let onUnauthorized: (message: string) => void = () => {};
export function whenUnauthorized(handler: (message: string) => void): void {
  onUnauthorized = handler;
}

export async function api<P extends keyof Paths, M extends keyof Paths[P] & Method>(
  method: M,
  path: P,
  opts: Options<Paths[P][M]> = {},
  key: string | null = session.key(),
): Promise<Result<Paths[P][M]>> {
  let url = String(path).replace(/\{(\w+)\}/g, (_, name: string) =>
    encodeURIComponent(String((opts.path as Record<string, unknown> | undefined)?.[name])),
  );
  const query = Object.entries((opts.query ?? {}) as Record<string, unknown>).filter(
    ([, v]) => v !== undefined && v !== null && v !== '',
  );
  if (query.length) url += `?${new URLSearchParams(query.map(([k, v]) => [k, String(v)])).toString()}`;
  // Built before the call: a key holding a character a header cannot carry (beyond Latin-1, a line
  // break) throws here, and it is that key, not a service out of reach.
  let headers: Headers;
  try {
    headers = new Headers({
      ...(key && { authorization: `Bearer ${key}` }),
      ...(opts.body !== undefined && { 'content-type': 'application/json' }),
    });
  } catch {
    throw new ApiError(0, 'invalid_key', INVALID_KEY);
  }
  let res: Response;
  try {
    res = await fetch(url, {
      method: method.toUpperCase(),
      headers,
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    });
  } catch {
    throw new ApiError(
      0,
      'unreachable',
      'The service could not be reached. Check the connection and try again.',
    );
  }
  if (res.status === 204) return undefined as Result<Paths[P][M]>;
  const text = await res.text();
  const body = text ? (JSON.parse(text) as unknown) : null;
  if (res.ok) return body as Result<Paths[P][M]>;
  const error = (body as { error?: { code?: string; message?: string; details?: ApiError['details'] } })
    ?.error;
  const retryAfter = res.headers.get('retry-after');
  const message =
    (error?.message ?? `The service answered ${res.status}.`) +
    (retryAfter && res.status !== 401 ? ` Try again in ${retryAfter} s.` : '');
  const failure = new ApiError(res.status, error?.code ?? 'error', message, error?.details ?? []);
  // The session's key refused (revoked meanwhile): back to signing in. A key being tried is not that.
  if (res.status === 401 && key !== null && key === session.key())
    onUnauthorized('Your API key was not accepted. Sign in again.');
  throw failure;
}

/** Every item of a list, page by page (1000 a page), with the count so far for a progress line. */
export async function allPages<T>(
  page: (cursor: string | undefined) => Promise<Page<T>>,
  progress?: (loaded: number) => void,
): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | undefined;
  do {
    const p = await page(cursor);
    items.push(...p.items);
    progress?.(items.length);
    cursor = p.nextCursor ?? undefined;
  } while (cursor);
  return items;
}
