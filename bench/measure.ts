/** Resident memory of processes, sampled while a scenario runs, and small statistics helpers. */
import fs from 'node:fs';

/** RSS in MiB from /proc (Linux); null where /proc is not there. */
export function rssMb(pid: number): number | null {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = /VmRSS:\s+(\d+)/.exec(status)?.[1];
    return kb ? Math.round(Number(kb) / 1024) : null;
  } catch {
    return null;
  }
}

/** Samples the summed RSS of `pids` every 250 ms; `stop()` gives the peak. */
export function peakRss(pids: number[]): { stop(): number | null } {
  let peak: number | null = null;
  const sample = () => {
    const values = pids.map(rssMb).filter((v): v is number => v !== null);
    if (values.length)
      peak = Math.max(
        peak ?? 0,
        values.reduce((a, b) => a + b, 0),
      );
  };
  sample();
  const timer = setInterval(sample, 250);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return peak;
    },
  };
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

export async function until(check: () => Promise<boolean>, timeoutMs: number, what: string, everyMs = 250) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not reached within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
