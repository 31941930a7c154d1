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
  // Each try asks every server in turn: the system's resolv.conf may list several.
  const servers = server ? 1 : Math.max(1, dns.getServers().length);
  const resolver = new dns.Resolver({
    timeout: Math.max(100, Math.round(opts.timeoutMs / 3 / servers)),
    tries: 2,
  });
  if (server) resolver.setServers([server]);
  return resolver;
}
