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

/** The local TCP ports in LISTEN state, by socket inode, from /proc/net/tcp and tcp6. */
function listeningInodes(port: number): Set<string> {
  const inodes = new Set<string>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      // local_address is HEX_IP:HEX_PORT, st 0A is LISTEN, the inode is the tenth field.
      if (f.length > 9 && f[3] === '0A' && parseInt(f[1]!.split(':')[1]!, 16) === port) inodes.add(f[9]!);
    }
  }
  return inodes;
}

const allPids = () =>
  fs
    .readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number);

/**
 * The process listening on a local TCP port (an external Temporal server or PostgreSQL on this
 * machine), from /proc; null when none is found (another host, or not allowed to look).
 */
export function pidListeningOn(port: number): number | null {
  try {
    const inodes = listeningInodes(port);
    if (!inodes.size) return null;
    for (const pid of allPids()) {
      let fds: string[];
      try {
        fds = fs.readdirSync(`/proc/${pid}/fd`);
      } catch {
        continue;
      }
      for (const fd of fds) {
        try {
          const m = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
          if (m && inodes.has(m[1]!)) return pid;
        } catch {
          // gone meanwhile
        }
      }
    }
  } catch {
    // no /proc
  }
  return null;
}

/**
 * `pid` and every process below it (a PostgreSQL server is its postmaster and the backends it
 * forks, one per connection): only that server's processes, not every postgres on the machine.
 */
export function withDescendants(pid: number | null): number[] {
  if (pid === null) return [];
  const children = new Map<number, number[]>();
  try {
    for (const p of allPids()) {
      try {
        const ppid = Number(fs.readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]);
        children.set(ppid, [...(children.get(ppid) ?? []), p]);
      } catch {
        // gone meanwhile
      }
    }
  } catch {
    return [pid];
  }
  const out: number[] = [];
  const queue = [pid];
  while (queue.length) {
    const p = queue.shift()!;
    out.push(p);
    queue.push(...(children.get(p) ?? []));
  }
  return out;
}

/** The port of a `host:port` address or a URL, when the host is this machine; null otherwise. */
export function localPort(address: string): number | null {
  const url = /^[a-z][a-z0-9+.-]*:\/\//i.test(address) ? new URL(address) : new URL(`tcp://${address}`);
  const local = ['127.0.0.1', 'localhost', '[::1]', '::1', '0.0.0.0'].includes(url.hostname);
  return local && url.port ? Number(url.port) : null;
}

/**
 * Where the CPU went during a scenario: seconds per part. The parts' processes are listed at the
 * start and again at the end (postgres forks a backend per connection). A backend that ended in
 * between is not counted: the bench's and the services' pools keep theirs open.
 */
export function cpuProfile(parts: Record<string, () => number[]>): { stop(): Record<string, number> } {
  const start = new Map<number, number>();
  for (const list of Object.values(parts)) for (const pid of list()) start.set(pid, cpuSeconds(pid));
  const self = process.cpuUsage();
  return {
    stop() {
      const out: Record<string, number> = {};
      for (const [part, list] of Object.entries(parts))
        out[part] = round(
          list().reduce((sum, pid) => sum + cpuSeconds(pid) - (start.get(pid) ?? 0), 0),
          2,
        );
      const used = process.cpuUsage(self);
      out.benchProcess = round((used.user + used.system) / 1e6, 2);
      return out;
    },
  };
}
