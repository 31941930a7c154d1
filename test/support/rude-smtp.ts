/**
 * A receiving server that misbehaves on purpose, written on raw TCP so it can do what a polite SMTP
 * library never would: reset the connection, answer over many lines, hang up after RCPT, say nothing.
 */
import net from 'node:net';

export type Rudeness =
  | 'silent' // accepts the connection, never greets
  | 'reset-on-rcpt' // TCP reset when the recipient is named
  | 'close-after-rcpt' // a clean FIN instead of an answer to RCPT
  | 'multiline-busy' // a 4xx reply split over many continuation lines
  | 'stall-after-data' // takes the message, never confirms it
  | 'reject-after-data' // 550 5.7.1 to the final dot (a content filter)
  | 'unexplained-after-data' // 554 with words nobody reads, to the final dot
  | 'greylist-after-data' // 451 4.7.1 to the final dot
  | 'odd-accept' // takes the message with a reply that has no proper code: `250OK queued`
  | 'starttls-refused' // offers STARTTLS, then answers 454 to it
  | 'codeless-greeting' // greets without a code, with a client error name in its text
  | 'deaf-to-quit' // takes the message, never answers QUIT, keeps the connection open
  | 'reset-on-second-mail' // takes one message, then resets the connection at the next MAIL FROM
  | 'pipelining-reset-on-second-mail'; // the same, offering PIPELINING (MAIL, RCPT, DATA come at once)

export type RudeServer = { port: number; open(): number; opened(): number; stop(): Promise<void> };

/** On 127.0.0.1 at a free port, unless `at` names the address and port. */
export async function startRudeSmtp(
  rudeness: Rudeness,
  at: { host: string; port: number } = { host: '127.0.0.1', port: 0 },
): Promise<RudeServer> {
  const sockets = new Set<net.Socket>();
  let opened = 0;
  const server = net.createServer((socket) => {
    sockets.add(socket);
    opened++;
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    if (rudeness === 'silent') return;
    const say = (line: string) => socket.write(`${line}\r\n`);
    if (rudeness === 'codeless-greeting') return void say('mail service: ENOTFOUND');
    say('220 rude.test ESMTP');
    let inData = false;
    let taken = 0;
    let buffer = '';
    socket.on('data', (chunk) => {
      buffer += chunk.toString('latin1');
      let at: number;
      while ((at = buffer.indexOf('\r\n')) >= 0) {
        const line = buffer.slice(0, at);
        buffer = buffer.slice(at + 2);
        if (inData) {
          if (line !== '.') continue;
          inData = false;
          // stall-after-data: the end of data is never answered
          if (rudeness === 'reject-after-data') say('550 5.7.1 Message rejected: content looks like spam');
          else if (rudeness === 'unexplained-after-data') say('554 Transaction failed');
          else if (rudeness === 'greylist-after-data') say('451 4.7.1 Greylisted, please try again later');
          else if (rudeness === 'odd-accept') say('250OK queued as 12345');
          else if (rudeness !== 'stall-after-data') {
            taken++;
            say('250 2.0.0 Ok: queued');
          }
          continue;
        }
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === 'EHLO' && rudeness === 'starttls-refused') {
          say('250-rude.test');
          say('250 STARTTLS');
        } else if (verb === 'EHLO' && rudeness === 'pipelining-reset-on-second-mail') {
          say('250-rude.test');
          say('250 PIPELINING');
        } else if (verb === 'STAR') say('454 4.7.0 TLS not available due to local problem');
        else if (verb === 'EHLO' || verb === 'HELO') say('250 rude.test');
        else if (verb === 'MAIL') {
          if (rudeness.endsWith('reset-on-second-mail') && taken > 0) return void socket.resetAndDestroy();
          say('250 2.1.0 Ok');
        } else if (verb === 'RCPT') {
          if (rudeness === 'reset-on-rcpt') return void socket.resetAndDestroy();
          if (rudeness === 'close-after-rcpt') return void socket.end();
          if (rudeness === 'multiline-busy') {
            for (let i = 1; i < 12; i++) say(`451-4.3.0 Line ${i} of a long explanation of why we are busy`);
            return void say('451 4.3.0 Please try again later');
          }
          say('250 2.1.5 Ok');
        } else if (verb === 'DATA') {
          inData = true;
          say('354 End data with <CR><LF>.<CR><LF>');
        } else if (verb === 'QUIT') {
          if (rudeness === 'deaf-to-quit') continue;
          say('221 Bye');
          socket.end();
        } else say('502 5.5.2 Command not recognised');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(at.port, at.host, resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    /** Connections still open. */
    open: () => sockets.size,
    /** Connections accepted so far. */
    opened: () => opened,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
