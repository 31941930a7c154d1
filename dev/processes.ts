/**
 * Child processes of `npm start`: started with their output prefixed, stopped with a signal and a
 * deadline, so that Ctrl-C leaves nothing running behind.
 */
import { type ChildProcess, fork, spawn } from 'node:child_process';
import net from 'node:net';
import readline from 'node:readline';

export type Child = {
  name: string;
  process: ChildProcess;
  /** Resolves with the exit code (or signal name) once the process has ended. */
  exited: Promise<number | string>;
};

function track(name: string, child: ChildProcess, log = (line: string) => console.log(line)): Child {
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'));
  });
  for (const stream of [child.stdout, child.stderr]) {
    if (stream) readline.createInterface({ input: stream }).on('line', (l) => log(`[${name}] ${l}`));
  }
  return { name, process: child, exited };
}

/**
 * `ownGroup`: the child gets its own process group, so a Ctrl-C in the terminal (SIGINT to the whole
 * foreground group) reaches only the launcher, which then stops its children one by one, in order.
 * Without it every child would get the SIGINT at the same moment and Temporal could go before the
 * worker has finished. The launcher kills what is left with `killNow` in its `exit` handler; should it
 * be SIGKILLed, forked scripts still stop (their IPC channel closes), a binary does not.
 */
export type StartOptions = { ownGroup?: boolean };

/** Runs a binary (the Temporal CLI). */
export function startBinary(
  name: string,
  file: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  log?: (line: string) => void,
  opts: StartOptions = {},
): Child {
  return track(
    name,
    spawn(file, args, { env, stdio: ['ignore', 'pipe', 'pipe'], detached: opts.ownGroup ?? false }),
    log,
  );
}

/**
 * Runs one of our TypeScript entry points in its own Node process through tsx. The IPC channel lets
 * the child notice when the launcher dies, so it never outlives it.
 */
export function startScript(
  name: string,
  script: string,
  env: NodeJS.ProcessEnv,
  nodeFlags: string[] = [],
  opts: StartOptions & { args?: string[] } = {},
): Child {
  return track(
    name,
    fork(script, opts.args ?? [], {
      env,
      execArgv: [...nodeFlags, '--import', 'tsx'],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      detached: opts.ownGroup ?? false,
    }),
  );
}

/** True until the process has ended. */
export function isRunning(child: Child): boolean {
  return child.process.exitCode === null && child.process.signalCode === null;
}

/** SIGKILL at once, synchronously: for a launcher's `exit` handler, where nothing can be awaited. */
export function killNow(child: Child): void {
  if (isRunning(child)) child.process.kill('SIGKILL');
}

/** Asks the process to stop (SIGTERM), then kills it if it has not ended by the deadline. */
export async function stopChild(child: Child, deadlineMs = 15_000): Promise<void> {
  if (!isRunning(child)) return;
  child.process.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), deadlineMs);
  });
  if ((await Promise.race([child.exited, late])) === 'late') {
    console.warn(`[${child.name}] did not stop within ${deadlineMs} ms: killing it`);
    child.process.kill('SIGKILL');
    await child.exited;
  }
  clearTimeout(timer);
}

/** Waits until something accepts TCP connections on host:port. */
export async function waitForPort(
  host: string,
  port: number,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await canConnect(host, port)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what} did not open ${host}:${port} within ${timeoutMs / 1000} s`);
}

export function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    socket.setTimeout(1_000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}
