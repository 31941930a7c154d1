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

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** CPU seconds (user + system) a process has used so far, from /proc; 0 where it is gone. */
function cpuSeconds(pid: number): number {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/** Every process whose command name is `name` (e.g. the postgres backends), from /proc. */
export function pidsNamed(name: string): number[] {
  try {
    return fs
      .readdirSync('/proc')
      .filter((d) => /^\d+$/.test(d))
      .map(Number)
      .filter((pid) => {
        try {
          return fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === name;
        } catch {
          return false;
        }
      });
  } catch {
    return [];
  }
}

/**
 * Where the CPU went during a scenario: seconds per part. The parts' processes are listed at the
 * start and again at the end (postgres forks a backend per connection).
 */
export function cpuProfile(parts: Record<string, () => number[]>): { stop(): Record<string, number> } {
  const start = new Map<number, number>();
  for (const list of Object.values(parts)) for (const pid of list()) start.set(pid, cpuSeconds(pid));
  const self = process.cpuUsage();
  return {
    stop() {
      const out: Record<string, number> = {};
      for (const [part, list] of Object.entries(parts))
        out[part] = round(list().reduce((sum, pid) => sum + cpuSeconds(pid) - (start.get(pid) ?? 0), 0));
      const used = process.cpuUsage(self);
      out.benchProcess = round((used.user + used.system) / 1e6);
      return out;
    },
  };
}
