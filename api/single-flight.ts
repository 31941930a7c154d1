/** Concurrent calls with the same key share one promise: the first caller's work serves them all. */
export function singleFlight<A, V>(
  keyOf: (arg: A) => string,
  work: (arg: A) => Promise<V>,
): (arg: A) => Promise<V> {
  const inFlight = new Map<string, Promise<V>>();
  return (arg) => {
    const key = keyOf(arg);
    let pending = inFlight.get(key);
    if (!pending) {
      pending = work(arg).finally(() => inFlight.delete(key));
      inFlight.set(key, pending);
    }
    return pending;
  };
}
