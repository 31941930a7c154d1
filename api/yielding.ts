/** Long loops on the request path, cut into slices so that other requests (and /health) get turns. */
import { setImmediate } from 'node:timers/promises';

/** How long one slice of work may hold the event loop. */
export const SLICE_MS = 10;

/**
 * Calls `fn` on each item in order, giving the event loop a turn whenever a slice of `sliceMs` has
 * been spent: the whole loop takes as long as before, but no other request waits more than a slice.
 */
export async function forEachYielding<T>(
  items: readonly T[],
  fn: (item: T, index: number) => void,
  sliceMs = SLICE_MS,
): Promise<void> {
  let sliceStart = performance.now();
  for (let i = 0; i < items.length; i++) {
    fn(items[i]!, i);
    if (performance.now() - sliceStart >= sliceMs) {
      await setImmediate();
      sliceStart = performance.now();
    }
  }
}
