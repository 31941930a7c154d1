/**
 * Sending domains over HTTP, verified against a real DNS server (c-ares asking dev/dns-server.ts),
 * and the signature of what arrives: a message sent from a verified domain reaches the bounce lab
 * DKIM-signed, and a maintained verifier (mailauth) checks it against the key the API published.
 */
import { createPublicKey } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { promises as dns } from 'node:dns';
import { createAccount } from '../db/accounts';
import * as sendingDomains from '../db/sending-domains';
import { ensureDevDomain } from '../dev/dev-domain';
import { openPrivateKey } from '../sending-domains/keys';
import { sealContext } from '../sending-domains/service';
import { dkimVerify } from 'mailauth/lib/dkim/verify';
import { type DnsServer, startDnsServer } from '../dev/dns-server';
import { type ApiHarness, createApiHarness, type Reply } from './support/api-harness';

let h: ApiHarness;
let dnsServer: DnsServer;
beforeAll(async () => {
  dnsServer = await startDnsServer();
  h = await createApiHarness({ dnsServer: dnsServer.server });
});
afterAll(async () => {
  await h?.stop();
  await dnsServer?.stop();
});

async function ok(method: string, path: string, body?: unknown, status = 200, key?: string) {
  const res = await h.call(method, path, body, key ? { key } : {});
  if (res.status !== status) throw new Error(`${method} ${path} → ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

function expectError(res: Reply, status: number, code: string) {
  expect({ status: res.status, code: res.body?.error?.code }).toEqual({ status, code });
  expect(typeof res.body.error.message).toBe('string');
}

/** PEM armour, the base64 DER of a PKCS#8 RSA key ("MIIEvQIBADAN…"), or the sealed form. */
const PRIVATE_KEY = /PRIVATE|MIIE[A-Za-z0-9+/]{2}IBADAN|v1\.[\w-]{16}\.[\w-]{22}\./;

type Record = { type: string; name: string; value: string; purpose: string; required: boolean };
const recordOf = (d: { dnsRecords: Record[] }, purpose: string) =>
  d.dnsRecords.find((r) => r.purpose === purpose)!;

/** Publishes the domain's records of these purposes in the test DNS server. */
function publish(d: { dnsRecords: Record[] }, purposes: string[]) {
  dnsServer.publish(d.dnsRecords.filter((r) => purposes.includes(r.purpose)));
}

function unpublish(name: string) {
  delete dnsServer.zone[name];
}

describe('sending domains', () => {
  it('when added, then the answer holds the DNS records to publish, an RSA-2048 DKIM key, and no private key', async () => {
    const d = await ok('POST', '/v1/sending-domains', { domain: 'acme.example' }, 201);
    expect(d).toMatchObject({ domain: 'acme.example', verified: false, verifiedAt: null });
    expect(d.dnsRecords.map((r: Record) => [r.purpose, r.type, r.required])).toEqual([
      ['verification', 'TXT', true],
      ['dkim', 'TXT', true],
      ['spf', 'TXT', false],
      ['dmarc', 'TXT', false],
    ]);
    const dkim = recordOf(d, 'dkim');
    expect(dkim.name).toMatch(/^[a-z0-9]+\._domainkey\.acme\.example$/);
    const p = /(?:^|;\s*)p=([A-Za-z0-9+/=]+)/.exec(dkim.value)![1]!;
    const key = createPublicKey({ key: Buffer.from(p, 'base64'), format: 'der', type: 'spki' });
    expect(key.asymmetricKeyType).toBe('rsa');
    expect(key.asymmetricKeyDetails?.modulusLength).toBe(2048);
    expect(recordOf(d, 'spf')).toMatchObject({
      name: 'acme.example',
      value: 'v=spf1 a:mta.test.localhost ~all',
    });
    expect(recordOf(d, 'dmarc').name).toBe('_dmarc.acme.example');

    // The private key is in no answer, and sealed in the database.
    const everything = JSON.stringify([
      d,
      await ok('GET', `/v1/sending-domains/${d.id}`),
      await ok('GET', '/v1/sending-domains'),
    ]);
    // PEM armour, or the DER of a PKCS#8 RSA private key in base64 ("MIIEv...IBADAN").
    expect(everything).not.toMatch(PRIVATE_KEY);
    const row = await h.t.db
      .selectFrom('sending_domains')
      .select('dkim_private_key_sealed')
      .where('id', '=', d.id)
      .executeTakeFirstOrThrow();
    expect(row.dkim_private_key_sealed).toMatch(/^v1\./);
    expect(row.dkim_private_key_sealed).not.toContain('PRIVATE');
  });

  it('when verified before its records are published, then 422 names each missing record, and after, 200', async () => {
    const d = await ok('POST', '/v1/sending-domains', { domain: 'mail.verify.example' }, 201);
    const before = await h.call('POST', `/v1/sending-domains/${d.id}/verify`);
    expectError(before, 422, 'unprocessable');
    expect(
      before.body.error.details.map((x: { purpose: string; status: string; required: boolean }) => [
        x.purpose,
        x.status,
        x.required,
      ]),
    ).toEqual([
      ['verification', 'missing', true],
      ['dkim', 'missing', true],
      ['spf', 'missing', false],
      ['dmarc', 'missing', false],
    ]);
    expect(before.body.error.message).toContain(`_deliverability.mail.verify.example`);

    // The verification token alone, and a DKIM record with another key: the key is named wrong.
    publish(d, ['verification']);
    dnsServer.publish([
      {
        name: recordOf(d, 'dkim').name,
        value: 'v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAnotours',
      },
    ]);
    const half = await h.call('POST', `/v1/sending-domains/${d.id}/verify`);
    expectError(half, 422, 'unprocessable');
    expect(half.body.error.details.filter((x: { required: boolean }) => x.required)).toEqual([
      expect.objectContaining({ purpose: 'dkim', status: 'wrong' }),
    ]);
    expect((await ok('GET', `/v1/sending-domains/${d.id}`)).verified).toBe(false);

    unpublish(recordOf(d, 'dkim').name);
    publish(d, ['dkim']);
    const verified = await ok('POST', `/v1/sending-domains/${d.id}/verify`);
    expect(verified).toMatchObject({ verified: true });
    expect(verified.verifiedAt).toEqual(expect.any(String));
    expect(
      verified.dnsRecords.map((r: { purpose: string; status: string }) => [r.purpose, r.status]),
    ).toEqual([
      ['verification', 'ok'],
      ['dkim', 'ok'],
      ['spf', 'missing'],
      ['dmarc', 'missing'],
    ]);
    expect((await ok('GET', `/v1/sending-domains/${d.id}`)).verified).toBe(true);
  });

  it('when DNS cannot answer, then 503 and nothing changes', async () => {
    const d = await ok('POST', '/v1/sending-domains', { domain: 'flaky.example' }, 201);
    publish(d, ['verification', 'dkim']);
    await ok('POST', `/v1/sending-domains/${d.id}/verify`);
    dnsServer.zone[recordOf(d, 'verification').name]!.servfail = true;
    const res = await h.call('POST', `/v1/sending-domains/${d.id}/verify`);
    expectError(res, 503, 'unavailable');
    expect((await ok('GET', `/v1/sending-domains/${d.id}`)).verified).toBe(true);
  });

  it.each([
    ['Acme.Example', /lower case \(acme\.example\)/],
    ['acme.example.', /without \(acme\.example\)/],
    ['bücher.example', /ASCII form \(xn--bcher-kva\.example\)/],
    ['co.uk', /public suffix/],
    ['github.io', /public suffix/],
    ['com', /no dot/],
    ['192.0.2.1', /IP address/],
    ['a..example', /invalid label/],
    ['-a.example', /invalid label/],
    ['xn--zz.example', /xn--/],
    ['a b.example', /spaces/],
    ['', /empty/],
    [`${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(35)}.example`, /longer than 230/],
    [`${'a'.repeat(64)}.example`, /invalid label/],
    ['under_score.example', /invalid label/],
    ['EXAMPLE.COM.', /without \(example\.com\)/],
  ])('when the domain is %j, then 422 says why', async (domain, why) => {
    const res = await h.call('POST', '/v1/sending-domains', { domain });
    expectError(res, 422, 'unprocessable');
    expect(res.body.error.details[0]).toMatchObject({ field: 'domain', message: expect.stringMatching(why) });
  });

  it.each(['foo.github.io', 'xn--bcher-kva.example', `${'a'.repeat(63)}.example`])(
    'when the domain is %j, then it is taken',
    async (domain) => {
      expect((await ok('POST', '/v1/sending-domains', { domain }, 201)).domain).toBe(domain);
    },
  );

  it('when DNS cannot answer for a suggested record only, then it is reported unknown and the domain is verified', async () => {
    const d = await ok('POST', '/v1/sending-domains', { domain: 'apex-down.example' }, 201);
    publish(d, ['verification', 'dkim']);
    dnsServer.zone['apex-down.example'] = { servfail: true };
    const verified = await ok('POST', `/v1/sending-domains/${d.id}/verify`);
    expect(verified.verified).toBe(true);
    expect(recordOf(verified, 'spf')).toMatchObject({ status: 'unknown' });
  });

  it('when the body is not {domain: string}, then 400', async () => {
    for (const body of [{}, { domain: 42 }, { domain: 'x.example', extra: 1 }])
      expectError(await h.call('POST', '/v1/sending-domains', body), 400, 'invalid_input');
  });

  it('when another account asks for the domain, then its id answers 404 and the verified domain 422', async () => {
    const d = await ok('POST', '/v1/sending-domains', { domain: 'owned.example' }, 201);
    publish(d, ['verification', 'dkim']);
    await ok('POST', `/v1/sending-domains/${d.id}/verify`);
    const other = { key: h.otherKey };
    for (const [method, path] of [
      ['GET', `/v1/sending-domains/${d.id}`],
      ['POST', `/v1/sending-domains/${d.id}/verify`],
      ['DELETE', `/v1/sending-domains/${d.id}`],
    ] as const)
      expectError(await h.call(method, path, undefined, other), 404, 'not_found');
    expect(
      (await h.call('GET', '/v1/sending-domains', undefined, other)).body.items.map(
        (x: { domain: string }) => x.domain,
      ),
    ).not.toContain('owned.example');
    const taken = await h.call('POST', '/v1/sending-domains', { domain: 'owned.example' }, other);
    expectError(taken, 422, 'unprocessable');
    expect(taken.body.error.message).toMatch(/another account/);
    // The same account twice: a conflict.
    expectError(await h.call('POST', '/v1/sending-domains', { domain: 'owned.example' }), 409, 'conflict');

    // The domain changes hands: its records are gone, so the next account to ask gets it.
    unpublish(recordOf(d, 'verification').name);
    const theirs = await ok('POST', '/v1/sending-domains', { domain: 'owned.example' }, 201, h.otherKey);
    expect((await ok('GET', `/v1/sending-domains/${d.id}`)).verified).toBe(false);
    publish(theirs, ['verification', 'dkim']);
    expect(
      (await ok('POST', `/v1/sending-domains/${theirs.id}/verify`, undefined, 200, h.otherKey)).verified,
    ).toBe(true);
  });

  it('when requests race for the last places of an account, then it ends with 50 domains and the others are 422s', async () => {
    const { id, key } = await createAccount(h.t.db, `full-${Date.now()}`);
    // 47 rows straight into the table (no keys made): three places left.
    for (let i = 0; i < 47; i++)
      await sendingDomains.create(h.t.db, id, {
        domain: `filler${i}.example`,
        verificationToken: `token${i}`,
        dkimSelector: 'filler',
        dkimPublicKey: 'not-a-key',
        dkimPrivateKeySealed: 'not-sealed',
      });
    const answers = await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        h.call('POST', '/v1/sending-domains', { domain: `last${i}.example` }, { key }),
      ),
    );
    expect(answers.map((a) => a.status).sort()).toEqual([201, 201, 201, 422, 422]);
    for (const refused of answers.filter((a) => a.status === 422))
      expect(refused.body.error.message).toMatch(/at most 50 sending domains/);
    expect(await sendingDomains.countOf(h.t.db, id)).toBe(50);
    // A domain it has already is a 409 even when the account is full (checked first, before a key is made).
    expectError(
      await h.call('POST', '/v1/sending-domains', { domain: 'filler3.example' }, { key }),
      409,
      'conflict',
    );
  });

  it('when another account added the domain first but never proved it, then the one that verifies it gets it', async () => {
    const theirs = await ok('POST', '/v1/sending-domains', { domain: 'race.example' }, 201, h.otherKey);
    const mine = await ok('POST', '/v1/sending-domains', { domain: 'race.example' }, 201);
    publish(mine, ['verification', 'dkim']);
    await ok('POST', `/v1/sending-domains/${mine.id}/verify`);
    // Their records are not published: even if they were, the domain is taken now.
    publish(theirs, ['verification', 'dkim']);
    const res = await h.call('POST', `/v1/sending-domains/${theirs.id}/verify`, undefined, {
      key: h.otherKey,
    });
    expectError(res, 422, 'unprocessable');
    expect(res.body.error.message).toMatch(/another account/);
  });
});

describe('mailings from sending domains', () => {
  let groupId: string;
  const rcpt = 'signed@ok.test';
  beforeAll(async () => {
    groupId = (await ok('POST', '/v1/groups', { name: 'Signed' }, 201)).id;
    const contact = (await ok('POST', '/v1/contacts', { email: rcpt }, 201)).id;
    await ok('POST', `/v1/groups/${groupId}/members`, { contactIds: [contact] });
  });
  const mailing = (fromEmail: string) => ({
    name: 'Signed',
    fromEmail,
    subject: 'Signed',
    text: 'Hi',
    groupIds: [groupId],
  });

  it('when the From domain is not verified, then 422 at create and at send; verified, it arrives DKIM-signed and the signature verifies', async () => {
    const unknown = await h.call('POST', '/v1/mailings', mailing('news@nowhere.example'));
    expectError(unknown, 422, 'unprocessable');
    expect(unknown.body.error.details).toEqual([expect.objectContaining({ field: 'fromEmail' })]);

    const d = await ok('POST', '/v1/sending-domains', { domain: 'signed.example' }, 201);
    expectError(await h.call('POST', '/v1/mailings', mailing('news@signed.example')), 422, 'unprocessable');
    publish(d, ['verification', 'dkim', 'spf', 'dmarc']);
    const verified = await ok('POST', `/v1/sending-domains/${d.id}/verify`);
    expect(verified.dnsRecords.every((r: { status: string }) => r.status === 'ok')).toBe(true);
    const m = await ok('POST', '/v1/mailings', mailing('news@signed.example'), 201);

    // Un-verified in between (its verification record is gone): the send is refused, nothing starts.
    unpublish(recordOf(d, 'verification').name);
    expectError(await h.call('POST', `/v1/sending-domains/${d.id}/verify`), 422, 'unprocessable');
    const refused = await h.call('POST', `/v1/mailings/${m.id}/send`);
    expectError(refused, 422, 'unprocessable');
    expect((await ok('GET', `/v1/mailings/${m.id}`)).status).toBe('draft');

    publish(d, ['verification']);
    await ok('POST', `/v1/sending-domains/${d.id}/verify`);
    await ok('POST', `/v1/mailings/${m.id}/send`, undefined, 202);
    await h.env.client.workflow.getHandle(`mailing-${m.id}`).result();

    const message = h.lab.lastMessage(rcpt)!;
    expect(message).toBeDefined();
    const text = message.toString('latin1');
    expect(text).toMatch(/^Message-ID: <delivery-\d+@signed\.example>$/im);
    const resolver = new dns.Resolver();
    resolver.setServers([dnsServer.server]);
    const result = await dkimVerify(message, {
      resolver: (name: string) => resolver.resolveTxt(name),
    });
    expect(result.results).toHaveLength(1);
    const sig = result.results[0]! as (typeof result.results)[0] & { signingHeaders: { keys: string } };
    expect(sig.status.result).toBe('pass');
    expect(sig.signingDomain).toBe('signed.example');
    expect(sig.selector).toBe(recordOf(d, 'dkim').name.split('.')[0]);
    // RFC 8058: one-click unsubscribe only counts when the signature covers both of its fields.
    const signed = sig.signingHeaders.keys.toLowerCase().split(/\s*:\s*/);
    expect(signed).toEqual(
      expect.arrayContaining(['from', 'subject', 'message-id', 'list-unsubscribe', 'list-unsubscribe-post']),
    );

    // The key is in no Temporal payload: neither the mailing's history nor the delivery's.
    const [recipient] = (await ok('GET', `/v1/mailings/${m.id}/recipients`)).items;
    for (const workflowId of [`mailing-${m.id}`, recipient.workflowId]) {
      const history = await h.env.client.workflow.getHandle(workflowId).fetchHistory();
      // Payloads come as base64: read them as the worker wrote them.
      const text = JSON.stringify(history).replace(/"data":"([A-Za-z0-9+/=]*)"/g, (_m, b64: string) =>
        Buffer.from(b64, 'base64').toString('latin1'),
      );
      expect(text).toContain(`"mailingId":"${m.id}"`);
      expect(text).not.toMatch(PRIVATE_KEY);
    }

    // A sending domain cannot be removed while a mailing from it is being sent; after, it can.
    await ok('DELETE', `/v1/sending-domains/${d.id}`, undefined, 204);
    expectError(await h.call('GET', `/v1/sending-domains/${d.id}`), 404, 'not_found');
  });

  it('when a domain signs a mailing being sent, then it cannot be removed (409)', async () => {
    const d = await ok('POST', '/v1/sending-domains', { domain: 'busy-sender.example' }, 201);
    publish(d, ['verification', 'dkim']);
    await ok('POST', `/v1/sending-domains/${d.id}/verify`);
    const m = await ok('POST', '/v1/mailings', mailing('news@busy-sender.example'), 201);
    // Marked as being sent, as the send route does before Temporal hears of it.
    await h.t.db.updateTable('mailings').set({ status: 'sending' }).where('id', '=', m.id).execute();
    const res = await h.call('DELETE', `/v1/sending-domains/${d.id}`);
    expectError(res, 409, 'conflict');
    expect(res.body.error.message).toContain(`mailing ${m.id}`);
    await h.t.db.updateTable('mailings').set({ status: 'done' }).where('id', '=', m.id).execute();
    await ok('DELETE', `/v1/sending-domains/${d.id}`, undefined, 204);
  });
});

describe("npm start's dev domain", () => {
  it('when started, then the dev account has its domain verified through DNS; with another secret, a new key that opens', async () => {
    const { id: accountId } = await createAccount(h.t.db, `dev-${Date.now()}`);
    const server = await startDnsServer();
    try {
      const resolver = new dns.Resolver();
      resolver.setServers([server.server]);
      const opts = { domain: 'dev-start.example', resolver, dns: server, spfHost: 'localhost' };
      expect(await ensureDevDomain(h.t.db, accountId, { ...opts, keySecret: 'x'.repeat(32) })).toBe(true);
      const first = await sealedKeyOf(accountId);
      // Again with the same secret: the same key. With another (DATA_DIR lost): a new key, verified.
      expect(await ensureDevDomain(h.t.db, accountId, { ...opts, keySecret: 'x'.repeat(32) })).toBe(true);
      expect(await sealedKeyOf(accountId)).toEqual(first);
      expect(await ensureDevDomain(h.t.db, accountId, { ...opts, keySecret: 'y'.repeat(32) })).toBe(true);
      const second = await sealedKeyOf(accountId);
      expect(second.dkim_selector).not.toBe(first.dkim_selector);
      expect(() =>
        openPrivateKey(
          second.dkim_private_key_sealed,
          'y'.repeat(32),
          sealContext(accountId, 'dev-start.example', second.dkim_selector),
        ),
      ).not.toThrow();
    } finally {
      await server.stop();
    }
  });

  const sealedKeyOf = (accountId: string) =>
    h.t.db
      .selectFrom('sending_domains')
      .select(['dkim_selector', 'dkim_private_key_sealed'])
      .where('account_id', '=', accountId)
      .where('verified_at', 'is not', null)
      .executeTakeFirstOrThrow();
});

test('the DNS server of npm start survives packets that are no question, and answers the next one', async () => {
  const server = await startDnsServer({ 'ok.example': { txt: ['hello'] } });
  try {
    const [host, port] = server.server.split(':') as [string, string];
    const socket = createSocket('udp4');
    const header = Buffer.from([0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]); // one question, and none there
    const pointer = Buffer.concat([header, Buffer.from([0xc0, 0x0c, 0, 16, 0, 1])]);
    const truncated = Buffer.concat([header, Buffer.from([40, 97, 98])]);
    for (const packet of [header, pointer, truncated, Buffer.from([1, 2, 3])])
      await new Promise<void>((resolve) => socket.send(packet, Number(port), host, () => resolve()));
    socket.close();
    const resolver = new dns.Resolver({ timeout: 2_000, tries: 1 });
    resolver.setServers([server.server]);
    expect(await resolver.resolveTxt('ok.example')).toEqual([['hello']]);
  } finally {
    await server.stop();
  }
});
