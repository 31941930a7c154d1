/**
 * The one DNS resolver setting: DNS_SERVER (an IP and a port) answers both the verification of
 * sending domains and direct-to-MX delivery; unset, the system's resolvers do.
 */
import { promises as dns } from 'node:dns';

/**
 * `timeoutMs` bounds a whole lookup: c-ares waits `timeout` for the first try and twice as long for
 * the second, so a silent server cost three times the figure given (15 s for 5).
 */
export function resolverFor(server: string | undefined, opts: { timeoutMs: number }): dns.Resolver {
  const resolver = new dns.Resolver({ timeout: Math.max(100, Math.round(opts.timeoutMs / 3)), tries: 2 });
  if (server) resolver.setServers([server]);
  return resolver;
}
