/**
 * One mailbox, one message: the same address spelled several ways is sent once per mailing, and a
 * late hard bounce only marks a contact incorrect while the bounced mailbox is still its address.
 */
import { ApplicationFailure } from '@temporalio/activity';
import { beginDelivery, recordOutcome } from '../activities/recording';
import { startMailing } from '../contract/starters';
import * as contacts from '../db/contacts';
import { emailKey } from '../domain/address';
import { createHarness, type Harness } from './support/delivery-harness';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h?.teardown();
});

/**
 * Contacts as the old code let them in (the API refuses or merges these spellings now): the key
 * and the owner the migration's backfill gives them.
 */
async function legacyContacts(emails: string[], owner: number): Promise<string[]> {
  const ids: string[] = [];
  for (const [i, email] of emails.entries()) {
    const { id } = await h.t.db
      .insertInto('contacts')
      // The owner is not inserted first: its id is set below, once known.
      .values({
        account_id: h.accountId,
        email,
        email_key: emailKey(email),
        duplicate_of: i === owner ? null : 0,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    ids.push(id);
  }
  await h.t.db
    .updateTable('contacts')
    .set({ duplicate_of: ids[owner]! })
    .where('id', 'in', ids)
    .where('id', '!=', ids[owner]!)
    .execute();
  return ids;
}

async function group(contactIds: string[]): Promise<string> {
  const { id } = await h.t.db
    .insertInto('groups')
    .values({ account_id: h.accountId, name: 'g' })
    .returning('id')
    .executeTakeFirstOrThrow();
  await h.t.db
    .insertInto('group_members')
    .values(contactIds.map((contact_id) => ({ group_id: id, contact_id })))
    .execute();
  return id;
}

test('a mailing to two groups holding one mailbox under several spellings sends it once', async () => {
  // The invisible spelling first by id: the owner (the well-spelled one) is still the one sent to.
  const [zwsp, fullWidth, plain] = await legacyContacts(
    ['two@ok.test\u200b', 'two@ｏｋ.test', 'two@ok.test'],
    2,
  );
  const [upper, lower] = await legacyContacts(['Case@ok.test', 'case@ok.test'], 0);
  const [solo] = await legacyContacts(['solo@ok.test'], 0);
  const first = await group([zwsp!, plain!, upper!, solo!]);
  const second = await group([fullWidth!, plain!, lower!, solo!]);
  const mailingId = await h.newMailing();
  await h.t.db
    .insertInto('mailing_groups')
    .values([first, second].map((group_id) => ({ mailing_id: mailingId, group_id })))
    .execute();

  const worker = await h.newWorker();
  const result = await worker.runUntil(async () => {
    const handle = await startMailing(h.env.client, { mailingId }, { taskQueue: h.taskQueue });
    return handle.result();
  });

  expect(result).toEqual({ total: 3, started: 3 });
  const rows = await h.t.db
    .selectFrom('deliveries')
    .select(['contact_id', 'email', 'status'])
    .where('mailing_id', '=', mailingId)
    .orderBy('contact_id')
    .execute();
  expect(rows).toEqual([
    { contact_id: plain, email: 'two@ok.test', status: 'delivered' },
    { contact_id: upper, email: 'Case@ok.test', status: 'delivered' },
    { contact_id: solo, email: 'solo@ok.test', status: 'delivered' },
  ]);
  // What the recipient's server saw (the lab counts per address, ignoring letter case).
  expect(h.lab.received('two@ok.test')).toBe(1);
  expect(h.lab.received('two@ok.test\u200b')).toBe(0);
  expect(h.lab.received('two@ｏｋ.test')).toBe(0);
  expect(h.lab.received('case@ok.test')).toBe(1);
  expect(h.lab.received('solo@ok.test')).toBe(1);
});

test('a delivery started alone (by a backend service) to a mailbox the mailing already has fails without a second row', async () => {
  const [plain, fullWidth] = await legacyContacts(['alone@ok.test', 'alone@ｏｋ.test'], 0);
  const mailingId = await h.newMailing();
  const first = await beginDelivery(h.t.db, { mailingId, contactId: plain!, email: 'alone@ok.test' });
  expect(first).toEqual({ deliveryId: expect.any(String), status: 'in_progress' });
  // The same contact again: the same delivery (idempotent).
  expect(await beginDelivery(h.t.db, { mailingId, contactId: plain!, email: 'alone@ok.test' })).toEqual(
    first,
  );

  const twin = beginDelivery(h.t.db, { mailingId, contactId: fullWidth!, email: 'alone@ｏｋ.test' });
  await expect(twin).rejects.toBeInstanceOf(ApplicationFailure);
  await expect(twin).rejects.toMatchObject({ type: 'DuplicateRecipient', nonRetryable: true });
  const rows = await h.t.db
    .selectFrom('deliveries')
    .select('id')
    .where('mailing_id', '=', mailingId)
    .execute();
  expect(rows).toEqual([{ id: first.deliveryId }]);
});

describe('a late hard bounce', () => {
  /** A delivery to the contact's current address, in progress, with the mailing's counters. */
  async function deliveryTo(contact: { id: string; email: string }) {
    const mailingId = await h.newMailing();
    const { id } = await h.t.db
      .insertInto('deliveries')
      .values({
        account_id: h.accountId,
        mailing_id: mailingId,
        contact_id: contact.id,
        email: contact.email,
        email_key: emailKey(contact.email),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await h.t.db
      .insertInto('mailing_counters')
      .values({ mailing_id: mailingId, shard: 0, total: 1 })
      .execute();
    return { mailingId, deliveryId: id };
  }

  /** What the customer does in the meantime: PATCH /v1/contacts/:id with a new email. */
  async function changeEmail(contactId: string, email: string) {
    await h.t.db.transaction().execute(async (trx) => {
      const before = await contacts.lock(trx, h.accountId, contactId);
      await contacts.update(trx, contactId, before!, { email });
    });
  }

  const hardBounce = (deliveryId: string) =>
    recordOutcome(h.t.db, {
      deliveryId,
      attempt: {
        n: 1,
        at: new Date().toISOString(),
        accepted: false,
        reply: '550 5.1.1 User unknown',
        classification: {
          category: 'hard_bounce',
          reason: 'user_unknown',
          code: 550,
          enhancedCode: '5.1.1',
          rule: 'test',
        },
        mxHost: null,
        phase: 'RCPT TO',
        messageId: '<m@x>',
        durationMs: 5,
      },
      outcome: { status: 'incorrect_address', category: 'hard_bounce', reason: 'user_unknown' },
    });

  const contactState = async (id: string) => ({
    contact: await h.t.db
      .selectFrom('contacts')
      .select(['email', 'status', 'incorrect_reason'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow(),
    groups: (
      await h.t.db.selectFrom('group_members').select('group_id').where('contact_id', '=', id).execute()
    ).map((g) => g.group_id),
  });

  const incorrectCount = async (mailingId: string) =>
    (
      await h.t.db.selectFrom('mailing_counters').selectAll().where('mailing_id', '=', mailingId).execute()
    ).reduce((n, c) => n + c.incorrect_addresses, 0);

  it('when the contact has since been corrected to another address, then it stays active and in its groups, and the delivery still counts as an incorrect address', async () => {
    const contact = await h.newContact('unknown.test');
    const { mailingId, deliveryId } = await deliveryTo(contact);
    await changeEmail(contact.id, 'fixed@ok.test');

    expect(await hardBounce(deliveryId)).toEqual({ recorded: true });

    expect(await contactState(contact.id)).toEqual({
      contact: { email: 'fixed@ok.test', status: 'active', incorrect_reason: null },
      groups: expect.arrayContaining(contact.groupIds),
    });
    expect((await contactState(contact.id)).groups).toHaveLength(contact.groupIds.length);
    const removed = await h.t.db
      .selectFrom('removed_group_members')
      .selectAll()
      .where('contact_id', '=', contact.id)
      .execute();
    expect(removed).toEqual([]);
    const delivery = await h.t.db
      .selectFrom('deliveries')
      .select(['status', 'reason', 'email'])
      .where('id', '=', deliveryId)
      .executeTakeFirstOrThrow();
    expect(delivery).toEqual({ status: 'incorrect_address', reason: 'user_unknown', email: contact.email });
    expect(await incorrectCount(mailingId)).toBe(1);
  });

  it('when only the letter case of the address has changed since, then it is the same mailbox: the contact becomes incorrect', async () => {
    const contact = await h.newContact('unknown.test');
    const { mailingId, deliveryId } = await deliveryTo(contact);
    await changeEmail(contact.id, contact.email.toUpperCase().replace('@UNKNOWN.TEST', '@unknown.test'));

    await hardBounce(deliveryId);

    expect(await contactState(contact.id)).toEqual({
      contact: {
        email: expect.stringMatching(/^C[0-9A-F]+@unknown\.test$/),
        status: 'incorrect',
        incorrect_reason: 'user_unknown',
      },
      groups: [],
    });
    expect(await incorrectCount(mailingId)).toBe(1);
  });
});
