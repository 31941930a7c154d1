/** The one-click unsubscribe token: only a token we signed names its delivery. */
import { createHmac } from 'node:crypto';
import { deliveryOfToken, tokenFor } from '../../inbound/unsubscribe-token';
import { returnPathFor } from '../../inbound/return-path';

const SECRET = 'the-unsubscribe-secret-of-the-tests';

test('a token names its delivery, URL-safe and lower-case', () => {
  const token = tokenFor('12345', SECRET);
  expect(token).toMatch(/^12345\.[a-z2-7]{26}$/);
  expect(encodeURIComponent(token)).toBe(token);
  expect(deliveryOfToken(token, SECRET)).toBe('12345');
  expect(tokenFor('12345', SECRET)).toBe(token); // stable: every attempt carries the same
});

test('forged, altered, cut, other-delivery and other-secret tokens name nothing', () => {
  const token = tokenFor('12345', SECRET);
  const [, sig] = token.split('.') as [string, string];
  const flip = (c: string) => (c === 'a' ? 'b' : 'a');
  const forged = `12345.${createHmac('sha256', 'guess').update('12345').digest('hex').slice(0, 26)}`;
  for (const bad of [
    forged,
    `12345.${'a'.repeat(26)}`,
    `12345.${flip(sig[0]!)}${sig.slice(1)}`, // altered signature
    `12345.${sig.slice(0, -1)}${flip(sig.at(-1)!)}`,
    `12346.${sig}`, // another delivery
    `12345.${sig.slice(0, 25)}`, // cut
    `12345.${sig}a`,
    `12345.${sig.toUpperCase()}`,
    `012345.${sig}`,
    `12345${sig}`,
    `12345..${sig}`,
    ` ${token}`,
    `${token}\n`,
    '',
    '.',
  ])
    expect({ bad, delivery: deliveryOfToken(bad, SECRET) }).toEqual({ bad, delivery: null });
  expect(deliveryOfToken(token, 'another-secret-of-sixteen')).toBeNull();
  expect(deliveryOfToken(tokenFor('12346', SECRET), SECRET)).toBe('12346');
});

test('a return-path signature is not a token (its own purpose string)', () => {
  const rp = returnPathFor('12345', { secret: SECRET, domain: 'b.test' });
  const rpSig = /-([a-z2-7]+)@/.exec(rp)![1]!;
  expect(tokenFor('12345', SECRET).split('.')[1]!.startsWith(rpSig)).toBe(false);
});

test('only delivery ids are signed', () => {
  expect(() => tokenFor('abc', SECRET)).toThrow('not a delivery id');
});

test('a signed id beyond what the database holds names nothing (it was a 500 at /u/<token>)', () => {
  expect(deliveryOfToken(tokenFor('9999999999999999999', SECRET), SECRET)).toBeNull();
  expect(deliveryOfToken(tokenFor('9223372036854775807', SECRET), SECRET)).toBe('9223372036854775807');
});
