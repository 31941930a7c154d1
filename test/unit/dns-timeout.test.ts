/** A DNS server that never answers costs a lookup its timeout, not three times it (runtime/dns.ts). */
import dgram from 'node:dgram';
import { resolverFor } from '../../runtime/dns';

test('a silent DNS server fails the lookup within its timeout', async () => {
  const silent = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => silent.bind(0, '127.0.0.1', resolve));
  const { port } = silent.address();
  try {
    const resolver = resolverFor(`127.0.0.1:${port}`, { timeoutMs: 1_500 });
    const started = Date.now();
    await expect(resolver.resolveTxt('example.org')).rejects.toMatchObject({ code: 'ETIMEOUT' });
    // 1.5 s asked; c-ares alone made it 4.5 s. Some slack for a busy machine.
    expect(Date.now() - started).toBeLessThan(4_000);
  } finally {
    silent.close();
  }
});
