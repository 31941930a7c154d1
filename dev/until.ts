/** Polls `check` until it holds; fails naming `what` after `timeoutMs`. For drills and the bench. */
export async function until(
  check: () => Promise<boolean>,
  what: string,
  opts: { timeoutMs?: number; everyMs?: number } = {},
): Promise<void> {
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not reached within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, opts.everyMs ?? 100));
  }
}
