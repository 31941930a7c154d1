/**
 * `npm run --silent parse-bounce -- FILE...` (or one message on stdin, or `-`): what each returned
 * message reports, one JSON object per line. Other tools read these lines: the field names are fixed.
 *
 *   a reported recipient  {"file","recipient","action","status","diagnosticCode","category","reason"}
 *   a complaint           {"file","feedback","recipient"}
 *   anything else         {"file","bounce":false}
 *
 * Exit 0, non-bounces included; exit 1 when a file could not be read (said on stderr, the others are
 * still read). Only the first MAX_PARSED_BYTES of each message are read, as the parser would.
 */
import fs from 'node:fs/promises';
import { MAX_PARSED_BYTES, parseInbound, type ParsedInbound } from '../inbound/parse';

async function readHead(file: string): Promise<Buffer> {
  const handle = await fs.open(file, 'r');
  try {
    const buf = Buffer.alloc(MAX_PARSED_BYTES);
    let length = 0;
    while (length < buf.length) {
      const { bytesRead } = await handle.read(buf, length, buf.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    return buf.subarray(0, length);
  } finally {
    await handle.close();
  }
}

async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of process.stdin) {
    const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    if (length < MAX_PARSED_BYTES) chunks.push(b.subarray(0, MAX_PARSED_BYTES - length));
    length += b.length;
  }
  return Buffer.concat(chunks);
}

function outputLines(file: string, parsed: ParsedInbound): string[] {
  switch (parsed.kind) {
    case 'bounce':
      return parsed.recipients.map((r) =>
        JSON.stringify({
          file,
          recipient: r.recipient,
          action: r.action,
          status: r.status,
          diagnosticCode: r.diagnosticCode,
          category: r.category,
          reason: r.reason,
        }),
      );
    case 'complaint':
      return [JSON.stringify({ file, feedback: parsed.feedbackType, recipient: parsed.recipient })];
    case 'none':
      return [JSON.stringify({ file, bounce: false })];
  }
}

async function main(): Promise<number> {
  const files = process.argv.slice(2);
  let code = 0;
  for (const file of files.length ? files : ['-']) {
    let raw: Buffer;
    try {
      raw = file === '-' ? await readStdin() : await readHead(file);
    } catch (err) {
      process.stderr.write(`parse-bounce: cannot read ${file}: ${(err as Error).message}\n`);
      code = 1;
      continue;
    }
    const lines = outputLines(file, await parseInbound(raw));
    if (lines.length) process.stdout.write(`${lines.join('\n')}\n`);
  }
  return code;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: Error) => {
    process.stderr.write(`parse-bounce: ${err.message}\n`);
    process.exitCode = 1;
  },
);
