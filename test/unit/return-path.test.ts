/** The signed return path: only an address we signed names a delivery. */
import { deliveryOfReturnPath, returnPathFor } from '../../inbound/return-path';

const keys = { secret: 'a-secret-of-the-test', domain: 'bounces.example' };

describe('signed return path', () => {
  it('when a return path is signed, then it names its delivery back, whatever the letter case', () => {
    const address = returnPathFor('12345', keys);
    expect(address).toMatch(/^bounces\+12345-[a-z2-7]{16}@bounces\.example$/);
    expect(deliveryOfReturnPath(address, keys)).toBe('12345');
    expect(deliveryOfReturnPath(address.toUpperCase(), keys)).toBe('12345');
  });

  it.each([
    ['another delivery id with the same signature', (a: string) => a.replace('+12345-', '+12346-')],
    [
      'a changed signature',
      (a: string) => a.replace(/-([a-z2-7])/, (_m, c: string) => `-${c === 'a' ? 'b' : 'a'}`),
    ],
    ['a cut signature', (a: string) => a.replace(/[a-z2-7]@/, '@')],
    ['the unsigned form of before', () => 'bounces+12345@bounces.example'],
    ['another domain', (a: string) => a.replace('bounces.example', 'evil.example')],
    ['no @', (a: string) => a.replace('@', '')],
    ['a huge id', () => `bounces+${'9'.repeat(40)}-aaaaaaaaaaaaaaaa@bounces.example`],
  ])('when it carries %s, then it names nothing', (_what, mangle) => {
    expect(deliveryOfReturnPath(mangle(returnPathFor('12345', keys)), keys)).toBeNull();
  });

  it('when the secret changes, then older return paths name nothing', () => {
    const address = returnPathFor('7', keys);
    expect(deliveryOfReturnPath(address, { ...keys, secret: 'another-secret' })).toBeNull();
  });
});
