/**
 * A small authoritative DNS server over UDP on 127.0.0.1 that answers MX and A questions from a
 * zone table. The direct-to-MX tests point a real `dns.promises.Resolver` (c-ares) at it, so the
 * error names the sender maps (ENOTFOUND, ENODATA, ESERVFAIL) are the ones c-ares really produces.
 */
import { createSocket } from 'node:dgram';

export type ZoneEntry = {
  mx?: Array<[preference: number, exchange: string]>;
  a?: string[];
  /** Answer every question about this name with SERVFAIL. */
  servfail?: boolean;
};
export type Zone = Record<string, ZoneEntry>;

const TYPE_A = 1;
const TYPE_MX = 15;
const RCODE_SERVFAIL = 2;
const RCODE_NXDOMAIN = 3;

export async function startDnsServer(zone: Zone): Promise<{ server: string; stop(): Promise<void> }> {
  const socket = createSocket('udp4');
  socket.on('message', (query, peer) => {
    const reply = answer(query, zone);
    if (reply) socket.send(reply, peer.port, peer.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  return {
    server: `127.0.0.1:${port}`,
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
    const len = buf[at]!;
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

function aRecord(ip: string): Buffer {
  return record(TYPE_A, Buffer.from(ip.split('.').map(Number)));
}
