/** Hands what global setup started to global teardown (both run in Jest's parent process). */
type GlobalState = { stopPostgres: () => Promise<void>; dataDir: string };
const KEY = Symbol.for('deliverability.test.global');
const holder = globalThis as unknown as Record<symbol, GlobalState | undefined>;

export function setGlobalState(state: GlobalState): void {
  holder[KEY] = state;
}
export function getGlobalState(): GlobalState | undefined {
  return holder[KEY];
}
