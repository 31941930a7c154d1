/** Sealed DKIM keys open only with their secret and on their own row (domain and selector). */
import { generateKeyPairSync } from 'node:crypto';
import { KeyUnsealError, openPrivateKey, sealPrivateKey } from '../../sending-domains/keys';
import { judge, recordsFor } from '../../sending-domains/records';

const pem = generateKeyPairSync('rsa', {
  modulusLength: 1024,
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  publicKeyEncoding: { type: 'spki', format: 'pem' },
}).privateKey;
const secret = 'a-secret-of-at-least-thirty-two-characters';
const context = 's1._domainkey.example.com';

describe('sealed DKIM keys', () => {
  it('when opened with the same secret and context, then they give the key back; sealing twice differs', () => {
    const sealed = sealPrivateKey(pem, secret, context);
    expect(sealed).toMatch(/^v1\.[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(sealed).not.toContain('PRIVATE');
    expect(openPrivateKey(sealed, secret, context)).toBe(pem);
    expect(sealPrivateKey(pem, secret, context)).not.toBe(sealed);
  });

  it.each([
    ['another secret', (s: string) => openPrivateKey(s, `${secret}!`, context)],
    ['another row', (s: string) => openPrivateKey(s, secret, 's1._domainkey.example.org')],
    [
      'a changed byte',
      (s: string) => openPrivateKey(s.slice(0, -2) + (s.endsWith('AA') ? 'BB' : 'AA'), secret, context),
    ],
    ['another form', () => openPrivateKey('-----BEGIN PRIVATE KEY-----', secret, context)],
    [
      'its tag cut to 4 bytes',
      (s: string) => {
        const [v, iv, tag, body] = s.split('.') as [string, string, string, string];
        const short = Buffer.from(tag, 'base64url').subarray(0, 4).toString('base64url');
        return openPrivateKey([v, iv, short, body].join('.'), secret, context);
      },
    ],
  ])('when opened with %s, then KeyUnsealError', (_what, open) => {
    const sealed = sealPrivateKey(pem, secret, context);
    expect(() => open(sealed)).toThrow(KeyUnsealError);
  });
});

describe('judging published records', () => {
  const [verification, dkim, spf, dmarc] = recordsFor(
    { domain: 'example.com', verificationToken: 'tok', dkimSelector: 's1', dkimPublicKey: 'AAAA' },
    'mta.example.net',
  ) as [never, never, never, never];

  it.each([
    [verification, null, 'missing'],
    [verification, ['deliverability-verification=tok'], 'ok'],
    [verification, ['deliverability-verification=other'], 'wrong'],
    [dkim, ['v=DKIM1; k=rsa; p=AA AA'], 'ok'],
    [dkim, ['v=DKIM1; k=rsa; p=BBBB'], 'wrong'],
    [dkim, ['v=DKIM1; k=ed25519; p=AAAA'], 'wrong'],
    [dkim, ['v=DKIM1; p=AAAA', 'v=DKIM1; p=AAAA'], 'wrong'],
    [spf, ['v=spf1 a:mta.example.net -all'], 'ok'],
    [spf, ['v=spf1 include:_spf.google.com ~all'], 'wrong'],
    [spf, ['v=spf1 a:mta.example.net ~all', 'v=spf1 -all'], 'wrong'],
    [spf, ['google-site-verification=x'], 'missing'],
    [dmarc, ['v=DMARC1; p=reject'], 'ok'],
    [dmarc, [], 'missing'],
  ])('when %j finds %j, then %s', (record, found, status) => {
    expect(judge(record, found).status).toBe(status);
  });
});
