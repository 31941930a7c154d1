import { clientId, TokenBuckets } from '../../api/rate-limit';

describe('token buckets', () => {
  let now = 0;
  const clock = () => now;
  beforeEach(() => {
    now = 0;
  });

  it('when a bucket is used up, then it says how many whole seconds until the next token', () => {
    const b = new TokenBuckets({ perSecond: 0.5, burst: 3 }, clock);
    expect([b.take('a'), b.take('a'), b.take('a')]).toEqual([0, 0, 0]);
    expect(b.take('a')).toBe(2); // one token every 2 s
    now = 1_000;
    expect(b.take('a')).toBe(1);
    now = 2_000;
    expect(b.take('a')).toBe(0);
    expect(b.take('b')).toBe(0); // each id has its own bucket
  });

  it('when time passes, then the bucket refills up to its burst, never beyond', () => {
    const b = new TokenBuckets({ perSecond: 10, burst: 2 }, clock);
    b.take('a');
    b.take('a');
    expect(b.take('a')).toBe(1);
    now = 60_000;
    expect([b.take('a'), b.take('a'), b.take('a')]).toEqual([0, 0, 1]);
  });

  it('when a token is given back, then it can be taken again', () => {
    const b = new TokenBuckets({ perSecond: 0.001, burst: 1 }, clock);
    expect(b.take('a')).toBe(0);
    expect(b.take('a')).toBeGreaterThan(0);
    b.giveBack('a');
    expect(b.take('a')).toBe(0);
    b.giveBack('x'); // never above the burst
    b.giveBack('x');
    expect([b.take('x'), b.take('x')]).toEqual([0, expect.any(Number)]);
  });

  it('when very many clients come, then the buckets kept stay bounded', () => {
    const b = new TokenBuckets({ perSecond: 1, burst: 5 }, clock);
    for (let i = 0; i < 250_000; i++) b.take(`client-${i}`);
    expect(b.size).toBeLessThanOrEqual(100_000);
  });
});

describe('client id', () => {
  it.each([
    ['127.0.0.1', '127.0.0.1'],
    ['::ffff:10.1.2.3', '10.1.2.3'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2::/64'],
    ['2001:db8:1:2::9', '2001:db8:1:2::/64'],
    ['2001:0db8:0001:0002:ffff::1', '2001:db8:1:2::/64'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
    ['64:ff9b::1.2.3.4', '64:ff9b:0:0::/64'],
    [undefined, 'unknown'],
  ])('when the peer is %s, then it is counted as %s', (ip, id) => {
    expect(clientId(ip)).toBe(id);
  });
});
