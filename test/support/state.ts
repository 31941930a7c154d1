/** Hands what global setup started to global teardown (both run in Jest's parent process). */
type GlobalState = {
  /** This run's temporary folder: the workflow bundle, the embedded database, every test's mkdtemp. */
  runDir: string;
  /** The TMPDIR before the run, given back by teardown. */
  tmpDirBefore: string | undefined;
  stopPostgres?: () => Promise<void>;
};
const KEY = Symbol.for('deliverability.test.global');
const holder = globalThis as unknown as Record<symbol, GlobalState | undefined>;

export function setGlobalState(state: GlobalState): void {
  holder[KEY] = state;
}
export function getGlobalState(): GlobalState | undefined {
  return holder[KEY];
}
