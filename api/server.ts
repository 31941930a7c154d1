/** Starts and stops the HTTP server; tests listen on port 0 and read the port back. */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type AppDeps, createApp } from './app';

export type RunningApi = { url: string; port: number; stop(): Promise<void> };

export async function startApi(deps: AppDeps, port: number, host = '127.0.0.1'): Promise<RunningApi> {
  const app = createApp(deps);
  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(port, host, () => resolve(s));
    s.once('error', reject);
  });
  const actual = (server.address() as AddressInfo).port;
  return {
    url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${actual}`,
    port: actual,
    // Stop accepting, let in-flight requests finish, then drop idle keep-alive sockets.
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}
