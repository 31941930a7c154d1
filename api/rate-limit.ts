/**
 * Rate limits of the API: token buckets in this process's memory (several API processes each count
 * alone). Three of them, checked by `authenticate`:
 *   - per client address: every request to a route that needs a key;
 *   - per API key: every request the key opens;
 *   - failed authentications per client address, the hardest: a key that opens nothing costs a
 *     database lookup, and keys are not guessed at half a key a second.
 */
import { isIPv6 } from 'node:net';
import type { Config } from '../runtime/config';
import { configSchema } from '../runtime/config';
import { ApiError } from './errors';

/** A bucket holds up to `burst` tokens and gains `perSecond` a second; a request takes one. */
export type BucketLimit = { perSecond: number; burst: number };
export type RateLimits = { perKey: BucketLimit; perClient: BucketLimit; failedAuth: BucketLimit };

export function rateLimitsFromConfig(c: Config): RateLimits {
  return {
    perKey: { perSecond: c.RATE_LIMIT_KEY_PER_SECOND, burst: c.RATE_LIMIT_KEY_BURST },
    perClient: { perSecond: c.RATE_LIMIT_CLIENT_PER_SECOND, burst: c.RATE_LIMIT_CLIENT_BURST },
    failedAuth: {
      perSecond: c.RATE_LIMIT_AUTH_FAILURES_PER_MINUTE / 60,
      burst: c.RATE_LIMIT_AUTH_FAILURES_BURST,
    },
  };
}

/** The limits an API gets when it is given none: the configuration's defaults. */
export const DEFAULT_RATE_LIMITS: RateLimits = rateLimitsFromConfig(configSchema.parse({}));

/** Buckets kept at most per limit; beyond, full buckets (the same as none) and then the oldest go. */
const MAX_BUCKETS = 100_000;

export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    readonly limit: BucketLimit,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Takes a token: 0 when there was one, else the seconds until there is one (nothing taken). */
  take(id: string): number {
    const b = this.refill(id);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return this.wait(b.tokens);
  }

  /** Gives back a token taken for something that turned out not to count. */
  giveBack(id: string): void {
    const b = this.refill(id);
    b.tokens = Math.min(this.limit.burst, b.tokens + 1);
  }

  get size(): number {
    return this.buckets.size;
  }

  private wait(tokens: number): number {
    return Math.max(1, Math.ceil((1 - tokens) / this.limit.perSecond));
  }

  private refill(id: string) {
    const now = this.now();
    let b = this.buckets.get(id);
    if (!b) {
      if (this.buckets.size >= MAX_BUCKETS) this.evict(now);
      b = { tokens: this.limit.burst, at: now };
      this.buckets.set(id, b);
    }
    b.tokens = Math.min(this.limit.burst, b.tokens + ((now - b.at) / 1000) * this.limit.perSecond);
    b.at = now;
    return b;
  }

  private evict(now: number): void {
    for (const [id, b] of this.buckets)
      if (b.tokens + ((now - b.at) / 1000) * this.limit.perSecond >= this.limit.burst)
        this.buckets.delete(id);
    for (const id of this.buckets.keys()) {
      if (this.buckets.size < MAX_BUCKETS * 0.9) break;
      this.buckets.delete(id);
    }
  }
}

/** The 429 in the error shape, with the seconds to wait (also sent as Retry-After). */
export function rateLimited(what: string, retryAfterSeconds: number): ApiError {
  return new ApiError(
    'rate_limited',
    `Too many requests ${what}; try again in ${retryAfterSeconds} s.`,
    [{ message: `retry after ${retryAfterSeconds} s`, retryAfterSeconds }],
    { retryAfterSeconds },
  );
}

/**
 * Who is asking, for the per-client limits: the peer's address (Express's `req.ip`), an IPv4 address
 * whole, an IPv6 address by its /64 (one subscriber's whole network, which it can walk through).
 */
export function clientId(ip: string | undefined): string {
  if (!ip) return 'unknown';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1]!;
  if (!isIPv6(ip)) return ip;
  const [head = '', tail = ''] = ip.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  // An IPv4 tail (::ffff:0:1.2.3.4, 64:ff9b::1.2.3.4) stands for two groups.
  const width = (g: string[]) => g.length + (g.at(-1)?.includes('.') ? 1 : 0);
  const groups = ip.includes('::')
    ? [...left, ...Array<string>(Math.max(0, 8 - width(left) - width(right))).fill('0'), ...right]
    : left;
  return `${groups
    .slice(0, 4)
    .map((g) => parseInt(g, 16).toString(16))
    .join(':')}::/64`;
}
