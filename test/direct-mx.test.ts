/**
 * Direct-to-MX delivery, without a relay: a real c-ares resolver asks a local DNS server, and the
 * sender talks SMTP to the bounce lab (or a STARTTLS server) on 127.0.0.1. 127.0.0.2 is loopback
 * too but nothing listens there, so it plays an MX host that is down.
 */
import { SMTPServer } from 'smtp-server';
import net, { type AddressInfo } from 'node:net';
import { createSmtpSender, isPublicIPv4, type OutgoingMessage } from '../activities/smtp';
import { startBounceLab, type BounceLab } from '../dev/bounce-lab';
import { startDnsServer } from '../dev/dns-server';
import { type RudeServer, startRudeSmtp } from './support/rude-smtp';

const LIVE = '127.0.0.1';
const DOWN = '127.0.0.2';
/** A host that greets with 421 (too busy) on the lab's port, then hangs up. */
const BUSY = '127.0.0.3';
/** A host that takes the message and answers `250OK queued` (test/support/rude-smtp.ts). */
const ODD = '127.0.0.4';

const zone = {
  'primary.example': {
    mx: [
      [20, 'mx2.primary.example'],
      [10, 'mx1.primary.example'],
    ] as Array<[number, string]>,
  },
  'mx1.primary.example': { a: [LIVE] },
  // Both up: only the preference decides which one gets the message.
  'mx2.primary.example': { a: [LIVE] },
  'failover.example': {
    mx: [
      [10, 'mx1.failover.example'],
      [20, 'mx2.failover.example'],
    ] as Array<[number, string]>,
  },
  'mx1.failover.example': { a: [DOWN] },
  'mx2.failover.example': { a: [LIVE] },
  'unknown.test': { mx: [[10, 'mx.unknown.test']] as Array<[number, string]> },
  'mx.unknown.test': { a: [LIVE] },
  'a-only.example': { a: [LIVE] },
  'nullmx.example': { mx: [[0, '.']] as Array<[number, string]> },
  'no-host.example': {},
  'dangling.example': { mx: [[10, 'nowhere.dangling.example']] as Array<[number, string]> },
  'broken.example': { servfail: true },
  'all-down.example': { a: [DOWN] },
  'busy-first.example': {
    mx: [
      [10, 'mx1.busy-first.example'],
      [20, 'mx2.busy-first.example'],
    ] as Array<[number, string]>,
  },
  'mx1.busy-first.example': { a: [BUSY] },
  // One MX host, two machines: the first down.
  'two-addresses.example': { mx: [[10, 'mx.two-addresses.example']] as Array<[number, string]> },
  'mx.two-addresses.example': { a: [DOWN, LIVE] },
  // Takes the message with a reply of no proper code (`250OK`): the second address must not get it.
  'odd-first.example': { mx: [[10, 'mx.odd-first.example']] as Array<[number, string]> },
  'mx.odd-first.example': { a: [ODD, LIVE] },
  'mx2.busy-first.example': { a: [LIVE] },
  'tls.example': { a: [LIVE] },
};

let dnsServer: Awaited<ReturnType<typeof startDnsServer>>;
let lab: BounceLab;
let busy: net.Server;
let odd: RudeServer;

beforeAll(async () => {
  dnsServer = await startDnsServer(zone);
  lab = await startBounceLab();
  busy = net.createServer((socket) => {
    socket.on('error', () => undefined);
    socket.end('421 4.3.2 Too busy, try another server\r\n');
  });
  await new Promise<void>((resolve) => busy.listen(lab.port, BUSY, resolve));
  odd = await startRudeSmtp('odd-accept', { host: ODD, port: lab.port });
});
afterAll(async () => {
  await odd?.stop();
  await new Promise((resolve) => busy?.close(resolve));
  await lab.stop();
  await dnsServer.stop();
});

function message(to: string): OutgoingMessage {
  return {
    to,
    from: 'news@sender.example',
    fromName: null,
    returnPath: 'bounces+1@sender.example',
    subject: 'Direct',
    text: 'Hello',
    html: null,
    messageId: '<delivery-1@sender.example>',
    headers: { 'X-Delivery-Id': '1' },
  };
}

async function sendDirect(to: string, mxPort = lab.port, allowPrivateMx = true) {
  // DNS_SERVER's way: the sender makes its own resolver, asking the test's DNS server. Its MX hosts
  // are on 127.0.0.1, which only DIRECT_MX_ALLOW_PRIVATE lets the sender reach.
  const sender = createSmtpSender({
    ehloHostname: 'mta.sender.example',
    timeoutMs: 3000,
    mxPort,
    dnsServer: dnsServer.server,
    allowPrivateMx,
  });
  try {
    return await sender.send(message(to));
  } finally {
    sender.close();
  }
}

test('the MX host with the lowest preference is used first', async () => {
  const r = await sendDirect('anna@primary.example');
  expect(r).toMatchObject({ accepted: true, mxHost: 'mx1.primary.example', phase: 'DONE' });
  expect(lab.received('anna@primary.example')).toBe(1);
});

test('an MX host that is down sends the message to the next one', async () => {
  const r = await sendDirect('ben@failover.example');
  expect(r).toMatchObject({ accepted: true, mxHost: 'mx2.failover.example' });
  expect(lab.received('ben@failover.example')).toBe(1);
});

test('an MX host with two addresses, the first down: the message goes to the second', async () => {
  const r = await sendDirect('lou@two-addresses.example');
  expect(r).toMatchObject({ accepted: true, mxHost: 'mx.two-addresses.example' });
  expect(lab.received('lou@two-addresses.example')).toBe(1);
});

test('a message taken with an oddly shaped reply is delivered there, never sent on to the next address', async () => {
  const r = await sendDirect('max@odd-first.example');
  expect(r).toMatchObject({ accepted: true, phase: 'DONE', reply: '250OK queued as 12345' });
  expect(lab.attempts('max@odd-first.example')).toBe(0);
});

test('an MX host that greets with 421 (busy) sends the message to the next one', async () => {
  const r = await sendDirect('jo@busy-first.example');
  expect(r).toMatchObject({ accepted: true, mxHost: 'mx2.busy-first.example' });
  expect(lab.received('jo@busy-first.example')).toBe(1);
});

test('a reply from the MX is the verdict: the next host is not tried after a refusal', async () => {
  const r = await sendDirect('nobody@unknown.test');
  expect(r.classification).toMatchObject({ category: 'hard_bounce', reason: 'user_unknown', code: 550 });
  expect(r).toMatchObject({ accepted: false, mxHost: 'mx.unknown.test', phase: 'RCPT TO' });
  expect(lab.attempts('nobody@unknown.test')).toBe(1);
});

test('no MX record: the domain’s own A record receives the mail', async () => {
  const r = await sendDirect('cara@a-only.example');
  expect(r).toMatchObject({ accepted: true, mxHost: 'a-only.example' });
});

test.each([
  ['NXDOMAIN', 'dan@nowhere.example', 'hard_bounce', 'domain_not_found'],
  ['null MX (RFC 7505)', 'eve@nullmx.example', 'hard_bounce', 'domain_not_found'],
  ['neither MX nor A', 'finn@no-host.example', 'hard_bounce', 'domain_not_found'],
  ['SERVFAIL', 'gus@broken.example', 'soft_bounce', 'dns_temporary'],
  ['an MX host without address', 'hal@dangling.example', 'soft_bounce', 'dns_temporary'],
])('%s → %s %s, without any SMTP connection', async (_what, to, category, reason) => {
  const r = await sendDirect(to);
  expect(r.accepted).toBe(false);
  expect(r.phase).toBe('DNS');
  expect(r.classification).toMatchObject({ category, reason, code: null });
  expect(lab.attempts(to)).toBe(0);
});

test('an MX host at a loopback address is no route unless allowed: a soft bounce, without any SMTP connection', async () => {
  const r = await sendDirect('kim@primary.example', lab.port, false);
  expect(r).toMatchObject({ accepted: false, phase: 'DNS', reply: 'ENOTPUBLIC' });
  expect(r.classification).toMatchObject({ category: 'soft_bounce', reason: 'network_error' });
  expect(lab.attempts('kim@primary.example')).toBe(0);
});

test.each([
  ['93.184.216.34', true],
  ['8.8.8.8', true],
  ['172.32.0.1', true],
  ['127.0.0.1', false],
  ['10.1.2.3', false],
  ['172.16.0.1', false],
  ['192.168.1.1', false],
  ['169.254.169.254', false],
  ['100.64.0.1', false],
  ['0.0.0.0', false],
  ['224.0.0.1', false],
  ['255.255.255.255', false],
  ['1.2.3', false],
])('%s is a public address: %s', (address, expected) => {
  expect(isPublicIPv4(address)).toBe(expected);
});

test('every host down → a soft bounce naming the connection failure', async () => {
  const r = await sendDirect('ida@all-down.example');
  expect(r.classification).toMatchObject({ category: 'soft_bounce', reason: 'network_error' });
  expect(r.reply).toBe('ECONNREFUSED');
});

test('STARTTLS is used when offered, after EHLO with the configured name', async () => {
  const seen: Array<{ secure: boolean; ehlo: string }> = [];
  const server = new SMTPServer({
    authOptional: true,
    logger: false,
    // No key given: smtp-server offers STARTTLS with its built-in self-signed certificate,
    // as many real MX hosts do.
    onData(stream, session, callback) {
      seen.push({ secure: session.secure, ehlo: session.hostNameAppearsAs });
      stream.resume();
      stream.on('end', () => callback(null, 'Queued'));
    },
  });
  await new Promise<void>((resolve) => server.listen(0, LIVE, resolve));
  try {
    const r = await sendDirect('jo@tls.example', (server.server.address() as AddressInfo).port);
    expect(r).toMatchObject({ accepted: true, mxHost: 'tls.example' });
    expect(seen).toEqual([{ secure: true, ehlo: 'mta.sender.example' }]);
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});
