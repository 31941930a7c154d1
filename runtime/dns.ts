/**
 * The one DNS resolver setting: DNS_SERVER (an IP and a port) answers both the verification of
 * sending domains and direct-to-MX delivery; unset, the system's resolvers do.
 */
import { promises as dns } from 'node:dns';

export function resolverFor(
  server: string | undefined,
  opts: { timeoutMs: number; tries?: number },
): dns.Resolver {
  const resolver = new dns.Resolver({ timeout: opts.timeoutMs, tries: opts.tries ?? 2 });
  if (server) resolver.setServers([server]);
  return resolver;
}
