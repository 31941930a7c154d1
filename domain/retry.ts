/**
 * When a soft bounce is tried again: every 3–4 h, the first retry after a greylisting reply after
 * 10–20 min (such servers accept a prompt second try), and no attempt later than 48 h after the
 * first. Pure: the caller passes its random source (the workflow's seeded, replay-safe Math.random).
 */

/** The bounds, in milliseconds. Workflow input, so a changed default never changes a running delivery. */
export type RetryBounds = {
  minDelayMs: number;
  maxDelayMs: number;
  greylistMinDelayMs: number;
  greylistMaxDelayMs: number;
  /** No attempt starts later than this after the first one. */
  windowMs: number;
};

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
export const DEFAULT_RETRY_BOUNDS: RetryBounds = {
  minDelayMs: 3 * HOUR,
  maxDelayMs: 4 * HOUR,
  greylistMinDelayMs: 10 * MINUTE,
  greylistMaxDelayMs: 20 * MINUTE,
  windowMs: 48 * HOUR,
};

/** The defaults with the given overrides: what a delivery is started with, fixed for its life. */
export function retryBounds(overrides: Partial<RetryBounds> = {}): RetryBounds {
  return { ...DEFAULT_RETRY_BOUNDS, ...overrides };
}

/** The bounds when they make sense; undefined when a minimum is above its maximum. */
export function validRetryBounds(b: RetryBounds): RetryBounds | undefined {
  return b.minDelayMs > b.maxDelayMs || b.greylistMinDelayMs > b.greylistMaxDelayMs ? undefined : b;
}

/** What the next delay depends on: the last reason, and whether an earlier reply was a greylisting. */
export type RetryHistory = { reason: string; greylistedBefore: boolean };

/** Milliseconds to wait before the next attempt; calls `random` exactly once. */
export function nextRetryDelay(bounds: RetryBounds, last: RetryHistory, random: () => number): number {
  const quick = last.reason === 'greylisted' && !last.greylistedBefore;
  return quick
    ? uniform(bounds.greylistMinDelayMs, bounds.greylistMaxDelayMs, random)
    : uniform(bounds.minDelayMs, bounds.maxDelayMs, random);
}

/** True when an attempt at `nextAt` would start too late after the first one. */
export function beyondWindow(bounds: RetryBounds, firstAttemptAt: number, nextAt: number): boolean {
  return nextAt - firstAttemptAt > bounds.windowMs;
}

/** A whole number of milliseconds in [min, max]. */
function uniform(min: number, max: number, random: () => number): number {
  return Math.round(min + random() * (max - min));
}
