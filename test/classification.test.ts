import { classify, RULES } from '../common/classification';
import { CASES } from './fixtures/bounce-replies';

describe('classification of real replies', () => {
  it('has a large corpus with a source for each reply', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(80);
    for (const c of CASES) expect(c.source.length).toBeGreaterThan(5);
  });

  it.each(CASES.map((c) => [c.reply.split('\n').join(' | ').slice(0, 90), c] as const))('%s', (_label, c) => {
    const got = classify(c.reply);
    expect({ category: got.category, reason: got.reason }).toEqual({
      category: c.category,
      reason: c.reason,
    });
    expect(RULES.map((r) => r.name).concat('unreadable')).toContain(got.rule);
  });
});

describe('classification rules of the spec', () => {
  it('X.2.2 is mailbox full whatever its first digit', () => {
    for (const reply of ['452 4.2.2 quota', '552 5.2.2 quota', '550 5.2.2 whatever'])
      expect(classify(reply).category).toBe('mailbox_full');
  });
  it('X.1.1, X.1.2, X.1.3 and X.1.6 are a bad address even on a 4xx', () => {
    for (const d of ['1', '2', '3', '6'])
      expect(classify(`450 4.1.${d} something`).category).toBe('hard_bounce');
  });
  it('a blocklisting or spam refusal is never a hard bounce; temporary ones are retried', () => {
    expect(classify('554 5.7.1 blocked using zen.spamhaus.org').category).toBe('blocked');
    expect(classify('451 4.7.1 blocked using zen.spamhaus.org')).toMatchObject({
      category: 'soft_bounce',
      reason: 'ip_blocklisted',
    });
  });
  it('returns the codes it read and the rule that decided', () => {
    expect(classify('550 5.1.1 <a@b.example>: Recipient address rejected: User unknown')).toEqual({
      category: 'hard_bounce',
      reason: 'user_unknown',
      code: 550,
      enhancedCode: '5.1.1',
      rule: 'wording.user_unknown',
    });
  });
  it('something that is no reply at all is retried, not trusted', () => {
    expect(classify('hello')).toMatchObject({ category: 'soft_bounce', rule: 'unreadable' });
  });
});
