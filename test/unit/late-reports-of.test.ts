/**
 * What a returned message's reports become (inbound/reports.ts): what the listener hands to Temporal
 * before its 250, so every field must be storable and their number bounded.
 */
import type { OriginalRefs, ParsedInbound, RecipientReport } from '../../inbound/parse';
import { MAX_REPORTS_PER_DELIVERY, reportsOf } from '../../inbound/reports';
import { returnPathFor } from '../../inbound/return-path';
import { tokenFor } from '../../inbound/unsubscribe-token';

const receivedAt = '2026-11-30T12:00:00.000Z';
const keys = { secret: 'the-secret-of-these-tests', domain: 'bounces.example' };
const NO_REFS: OriginalRefs = { messageId: null, deliveryId: null, mailingId: null };

const failed = (recipient: string, more: Partial<RecipientReport> = {}): RecipientReport => ({
  recipient,
  action: 'failed',
  status: '5.1.1',
  diagnosticCode: '550 5.1.1 User unknown',
  remoteMta: 'mx.example.org',
  category: 'hard_bounce',
  reason: 'user_unknown',
  ...more,
});

const bounce = (recipients: RecipientReport[], original = NO_REFS): ParsedInbound => ({
  kind: 'bounce',
  recipients,
  original,
  format: 'rfc3464',
});

test('a bounce to the feedback address, its delivery named by headers anyone can write, makes no report', () => {
  const named = { messageId: '<delivery-42@mail.example>', deliveryId: '42', mailingId: '7' };
  expect(
    reportsOf(bounce([failed('ann@example.org')], named), { deliveryId: null, receivedAt }, keys),
  ).toEqual([]);
  // A complaint there is what the address is for.
  const complaint: ParsedInbound = {
    kind: 'complaint',
    feedbackType: 'abuse',
    recipient: 'ann@example.org',
    original: named,
  };
  expect(reportsOf(complaint, { deliveryId: null, receivedAt }, keys)).toMatchObject([
    { kind: 'complaint', deliveryId: '42', proof: 'headers' },
  ]);
});

test('a delivery id in headers beyond what a bigint holds names no delivery', () => {
  const complaint = (deliveryId: string): ParsedInbound => ({
    kind: 'complaint',
    feedbackType: 'abuse',
    recipient: 'ann@example.org',
    original: { messageId: null, deliveryId, mailingId: null },
  });
  expect(reportsOf(complaint('9999999999999999999'), { deliveryId: null, receivedAt }, keys)).toEqual([]);
  expect(reportsOf(complaint('9223372036854775807'), { deliveryId: null, receivedAt }, keys)).toHaveLength(1);
});

test('NUL and other control characters are left out of what is stored', () => {
  const [report] = reportsOf(
    bounce([failed('ann\u0000@example.org', { remoteMta: 'mx\u0000.example.org', status: '5.1.1\u0007' })]),
    { deliveryId: '42', receivedAt },
    keys,
  );
  expect(report).toMatchObject({
    recipient: 'ann@example.org',
    remoteMta: 'mx.example.org',
    status: '5.1.1',
  });
});

test(`at most ${MAX_REPORTS_PER_DELIVERY} reports a delivery, however many recipients a DSN lists`, () => {
  const many = Array.from({ length: 500 }, (_, i) => failed(`r${i}@example.org`));
  expect(reportsOf(bounce(many), { deliveryId: '42', receivedAt }, keys)).toHaveLength(
    MAX_REPORTS_PER_DELIVERY,
  );
});

test('a complaint whose returned message carries what we signed names that delivery, its recipient blotted out or not', () => {
  const complaint = (original: OriginalRefs): ParsedInbound => ({
    kind: 'complaint',
    feedbackType: 'abuse',
    // Feedback loops often blot out the recipient: the signature is the proof then.
    recipient: null,
    original,
  });
  const fromFbl = { deliveryId: null, receivedAt };
  const signed = (returnPath: string | null, unsubscribeTokens: string[] = []): OriginalRefs => ({
    // What anyone can write names another delivery: what we signed wins.
    ...NO_REFS,
    messageId: '<delivery-7@mail.example>',
    signed: { returnPath, unsubscribeTokens },
  });
  expect(reportsOf(complaint(signed(returnPathFor('42', keys))), fromFbl, keys)).toMatchObject([
    { deliveryId: '42', proof: 'signed_headers' },
  ]);
  expect(
    reportsOf(complaint(signed(null, ['9.zz', tokenFor('43', keys.secret)])), fromFbl, keys),
  ).toMatchObject([{ deliveryId: '43', proof: 'signed_headers' }]);
  // Forged, cut, or signed with another secret: only the Message-ID is left, which needs the recipient.
  for (const forged of [
    signed(`bounces+42-${'a'.repeat(16)}@bounces.example`),
    signed(returnPathFor('42', { ...keys, secret: 'another' })),
    signed(null, [tokenFor('42', 'another'), tokenFor('42', keys.secret).slice(0, -1)]),
  ])
    expect(reportsOf(complaint(forged), fromFbl, keys)).toMatchObject([
      { deliveryId: '7', proof: 'headers' },
    ]);
  // A forged complaint sent first must not take the key (the workflow id) of the signed one.
  const unsigned = { ...NO_REFS, messageId: '<delivery-42@mail.example>' };
  const [a] = reportsOf(complaint(unsigned), fromFbl, keys);
  const [b] = reportsOf(complaint(signed(returnPathFor('42', keys))), fromFbl, keys);
  expect(a!.deliveryId).toBe(b!.deliveryId);
  expect(a!.key).not.toBe(b!.key);
  // Signed either way, the same complaint: to the return path, or at fbl@ with another recipient.
  const toReturnPath: ParsedInbound = {
    kind: 'complaint',
    feedbackType: 'abuse',
    recipient: 'ann@example.org',
    original: NO_REFS,
  };
  const [c] = reportsOf(toReturnPath, { deliveryId: '42', receivedAt }, keys);
  expect(c!.key).toBe(b!.key);
});
