/** Replies from receiving servers are untrusted input: what is kept must be storable and small. */
import { cleanReply, MAX_REPLY_CHARS } from '../../domain/reply';

describe('cleanReply', () => {
  it('when a reply holds NUL and control bytes, then they become U+FFFD and the rest is kept', () => {
    expect(cleanReply('250 2.0.0 OK\u0000 queued\u0007 as X')).toBe('250 2.0.0 OK\ufffd queued\ufffd as X');
  });

  it('when a reply has lines, tabs and a valid emoji, then they are kept', () => {
    expect(cleanReply('451-4.3.0 one\r\n451 4.3.0\ttwo 📬\r\n')).toBe('451-4.3.0 one\r\n451 4.3.0\ttwo 📬');
  });

  it('when a reply holds a lone surrogate (invalid text), then it is replaced', () => {
    expect(cleanReply('550 \ud800 x \udc00')).toBe('550 \ufffd x \ufffd');
  });

  it('when a reply is 1 MB, then a few KB are kept and the cut is marked', () => {
    const kept = cleanReply(`550 5.1.1 ${'x'.repeat(1_000_000)}`);
    expect(kept.length).toBeLessThanOrEqual(MAX_REPLY_CHARS);
    expect(kept.startsWith('550 5.1.1 xxx')).toBe(true);
    expect(kept).toMatch(/… \[cut: \d+ more characters\]$/);
  });

  it('when a cut would fall inside an emoji, then the pair is not split', () => {
    const kept = cleanReply(`250 ${'📬'.repeat(2_000)}`);
    expect(kept.length).toBeLessThanOrEqual(MAX_REPLY_CHARS);
    expect(kept).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/);
    expect(() => encodeURIComponent(kept)).not.toThrow();
  });
});
