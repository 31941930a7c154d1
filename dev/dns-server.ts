/**
 * A small authoritative DNS server over UDP on 127.0.0.1 that answers MX, A and TXT questions from a
 * zone table (DNS_SERVER points at it). The tests point a real `dns.promises.Resolver` (c-ares) at
 * it, so the error names the sender maps (ENOTFOUND, ENODATA, ESERVFAIL) are the ones c-ares really
 * produces; `npm start` publishes the dev account's sending domain in it. The zone may change while
 * it runs (a test removes a record; `publish` adds some).
 */
import { createSocket } from 'node:dgram';

export type ZoneEntry = {
  mx?: Array<[preference: number, exchange: string]>;
  a?: string[];
  /** TXT records, each one text (split into strings of 255 octets on the wire). */
  txt?: string[];
  /** Answer every question about this name with SERVFAIL. */
  servfail?: boolean;
};
export type Zone = Record<string, ZoneEntry>;

const TYPE_A = 1;
const TYPE_MX = 15;
const TYPE_TXT = 16;
const RCODE_SERVFAIL = 2;
const RCODE_NXDOMAIN = 3;

export type DnsServer = {
  /** `127.0.0.1:<port>`: the value of DNS_SERVER. */
  server: string;
  zone: Zone;
  /** Adds TXT records (name → texts) to the zone, beside what the names hold already. */
  publish(records: Array<{ name: string; value: string }>): void;
  stop(): Promise<void>;
};

export async function startDnsServer(zone: Zone = {}): Promise<DnsServer> {
  const socket = createSocket('udp4');
  socket.on('message', (query, peer) => {
    // A packet that is no question we understand gets no answer: it must never stop the server (it
    // runs inside npm start's supervisor).
    let reply: Buffer | null = null;
    try {
      reply = answer(query, zone);
    } catch {
      reply = null;
    }
    if (reply) socket.send(reply, peer.port, peer.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  return {
    server: `127.0.0.1:${port}`,
    zone,
    publish(records) {
      for (const { name, value } of records) {
        const entry = (zone[name.toLowerCase()] ??= {});
        if (!(entry.txt ??= []).includes(value)) entry.txt.push(value);
      }
    },
    stop: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

function answer(query: Buffer, zone: Zone): Buffer | null {
  if (query.length < 12 || query.readUInt16BE(4) !== 1) return null;
  const { name, end } = readName(query, 12);
  const qtype = query.readUInt16BE(end);
  const question = query.subarray(12, end + 4);
  const entry = zone[name.toLowerCase()];

  const records: Buffer[] = [];
  if (entry && !entry.servfail) {
    if (qtype === TYPE_MX)
      for (const [pref, exchange] of entry.mx ?? []) records.push(mxRecord(pref, exchange));
    if (qtype === TYPE_A) for (const ip of entry.a ?? []) records.push(aRecord(ip));
    if (qtype === TYPE_TXT) for (const text of entry.txt ?? []) records.push(txtRecord(text));
  }
  const rcode = !entry ? RCODE_NXDOMAIN : entry.servfail ? RCODE_SERVFAIL : 0;
  const header = Buffer.alloc(12);
  header.writeUInt16BE(query.readUInt16BE(0), 0); // same id
  header.writeUInt16BE(0x8400 | (query.readUInt16BE(2) & 0x0100) | rcode, 2); // QR, AA, RD copied
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(records.length, 6);
  return Buffer.concat([header, question, ...records]);
}

function readName(buf: Buffer, offset: number): { name: string; end: number } {
  const labels: string[] = [];
  let at = offset;
  while (buf[at] !== 0) {
    const len = buf[at];
    // The end of the packet, a compression pointer or a label over 63 octets: not a question of ours.
    if (len === undefined || len > 63 || at + 1 + len >= buf.length) throw new Error('malformed name');
    labels.push(buf.toString('ascii', at + 1, at + 1 + len));
    at += 1 + len;
  }
  return { name: labels.join('.'), end: at + 1 };
}

function encodeName(name: string): Buffer {
  const labels = name.split('.').filter(Boolean);
  return Buffer.concat([
    ...labels.map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)])),
    Buffer.from([0]),
  ]);
}

function record(type: number, rdata: Buffer): Buffer {
  const fixed = Buffer.alloc(12);
  fixed.writeUInt16BE(0xc00c, 0); // the name: a pointer to the question's name
  fixed.writeUInt16BE(type, 2);
  fixed.writeUInt16BE(1, 4); // class IN
  fixed.writeUInt32BE(60, 6);
  fixed.writeUInt16BE(rdata.length, 10);
  return Buffer.concat([fixed, rdata]);
}

function mxRecord(preference: number, exchange: string): Buffer {
  const pref = Buffer.alloc(2);
  pref.writeUInt16BE(preference);
  return record(TYPE_MX, Buffer.concat([pref, encodeName(exchange)]));
}

/** One TXT record: its text as character-strings of at most 255 octets (RFC 1035 §3.3.14). */
function txtRecord(text: string): Buffer {
  const bytes = Buffer.from(text, 'utf8');
  const strings: Buffer[] = [];
  for (let at = 0; at < bytes.length || strings.length === 0; at += 255) {
    const part = bytes.subarray(at, at + 255);
    strings.push(Buffer.concat([Buffer.from([part.length]), part]));
  }
  return record(TYPE_TXT, Buffer.concat(strings));
}

function aRecord(ip: string): Buffer {
  return record(TYPE_A, Buffer.from(ip.split('.').map(Number)));
}
