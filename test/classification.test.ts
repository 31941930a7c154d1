import { classify, RULES } from '../domain/classification';
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
  });
});

/** Replies that reach the rules no reply of the corpus reaches, each with the rule that must decide it. */
const BY_RULE: Array<[reply: string, category: string, reason: string, rule: string]> = [
  ['550 5.2.2 Requested action not taken', 'mailbox_full', 'mailbox_full', 'enhanced.x.2.2.mailbox_full'],
  ['550 5.2.1 Requested action not taken', 'hard_bounce', 'mailbox_disabled', 'enhanced.5.2.1.disabled'],
  ['550 5.2.3 Requested action not taken', 'blocked', 'message_too_large', 'enhanced.x.2.3.too_large'],
  ['452 4.3.4 Requested action not taken', 'soft_bounce', 'message_too_large', 'enhanced.x.2.3.too_large'],
  ['550 5.4.4 Requested action not taken', 'hard_bounce', 'domain_not_found', 'enhanced.5.4.4.unroutable'],
  ['552 Requested action not taken', 'mailbox_full', 'mailbox_full', 'code.552.storage'],
  ['553 Requested action not taken', 'hard_bounce', 'bad_address_syntax', 'code.553.name_not_allowed'],
  ['421 Closing transmission channel', 'soft_bounce', 'server_busy', 'code.421.unavailable'],
  ['hello', 'soft_bounce', 'unreadable_reply', 'unreadable'],
];

describe('the rule table', () => {
  it.each(BY_RULE)('%s is decided by its rule', (reply, category, reason, rule) => {
    expect(classify(reply)).toMatchObject({ category, reason, rule });
  });

  it('when every reply above is classified, then every rule of the table decides at least one (none is shadowed by an earlier rule)', () => {
    const decided = new Set(
      [...CASES.map((c) => c.reply), ...BY_RULE.map(([reply]) => reply)].map((r) => classify(r).rule),
    );
    expect(RULES.map((r) => r.name).filter((name) => !decided.has(name))).toEqual([]);
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
