/**
 * `npm run --silent parse-bounce -- FILE...` as a process: one JSON object per line with fixed field
 * names (other tools read them), `-` for stdin, exit 1 for an unreadable file after reading the others.
 */
import { execFile, spawn } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = path.join(__dirname, '..');
const fixture = (name: string) => path.join('test', 'fixtures', 'bounces', name);

type Result = { code: number; stdout: string; stderr: string };

function parseBounce(args: string[], stdin?: string): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'dev/parse-bounce-cli.ts', ...args], {
      cwd: root,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(stdin ?? '');
  });
}

const lines = (stdout: string) =>
  stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

test('recipients, a complaint and a non-bounce: one line each, field names fixed, exit 0', async () => {
  const files = [
    fixture('rfc3464-multi-recipient.eml'),
    fixture('arf-abuse.eml'),
    fixture('auto-sieve-vacation.eml'),
    fixture('garbage-binary.eml'),
  ];
  const r = await parseBounce(files);
  expect(r).toMatchObject({ code: 0, stderr: '' });
  expect(r.stdout.endsWith('\n')).toBe(true);
  const out = lines(r.stdout);
  expect(out).toEqual([
    {
      file: files[0],
      recipient: 'ann.lee@example.com',
      action: 'failed',
      status: '5.1.1',
      diagnosticCode: '550 5.1.1 No such user (ann.lee@example.com)',
      category: 'hard_bounce',
      reason: 'user_unknown',
    },
    {
      file: files[0],
      recipient: 'carl@example.com',
      action: 'failed',
      status: '5.2.2',
      diagnosticCode: '552 5.2.2 Mailbox full: quota exceeded for carl',
      category: 'mailbox_full',
      reason: 'mailbox_full',
    },
    {
      file: files[0],
      recipient: 'dora@example.com',
      action: 'delivered',
      status: '2.0.0',
      diagnosticCode: '250 2.0.0 Ok: queued as 7D1C2340',
      category: 'delivered',
      reason: 'accepted',
    },
    { file: files[1], feedback: 'abuse', recipient: 'gail@isp.example.net' },
    { file: files[2], bounce: false },
    { file: files[3], bounce: false },
  ]);
  // The order of the fields is part of the format too.
  expect(Object.keys(out[0] ?? {})).toEqual([
    'file',
    'recipient',
    'action',
    'status',
    'diagnosticCode',
    'category',
    'reason',
  ]);
  expect(Object.keys(out[3] ?? {})).toEqual(['file', 'feedback', 'recipient']);
  expect(Object.keys(out[4] ?? {})).toEqual(['file', 'bounce']);
});

test('a null status and diagnostic are printed as null', async () => {
  const file = fixture('rfc3464-expanded.eml');
  const r = await parseBounce([file]);
  expect(r.code).toBe(0);
  expect(lines(r.stdout)).toEqual([
    {
      file,
      recipient: 'team@lists.example.org',
      action: 'expanded',
      status: '2.0.0',
      diagnosticCode: null,
      category: 'delivered',
      reason: 'accepted',
    },
  ]);
});

test('an unreadable file: a sentence on stderr, the other files still read, exit 1', async () => {
  const missing = path.join('test', 'fixtures', 'bounces', 'no-such-file.eml');
  const ok = fixture('qmail-no-mailbox.eml');
  const r = await parseBounce([missing, fixture(''), ok]);
  expect(r.code).toBe(1);
  expect(r.stderr).toContain(`cannot read ${missing}`);
  expect(r.stderr.trim().split('\n')).toHaveLength(2); // the missing file and the directory
  expect(lines(r.stdout)).toEqual([
    {
      file: ok,
      recipient: 'lea@example.com',
      action: 'failed',
      status: '5.1.1',
      diagnosticCode: 'Sorry, no mailbox here by that name. (#5.1.1)',
      category: 'hard_bounce',
      reason: 'user_unknown',
    },
  ]);
});

test('no file: one message on stdin, named "-"', async () => {
  const message = [
    'From: MAILER-DAEMON@mx.example.net',
    'To: bounce+1-aa@bounces.mail.example',
    'Subject: Undelivered Mail Returned to Sender',
    'MIME-Version: 1.0',
    'Content-Type: multipart/report; report-type=delivery-status; boundary="B"',
    '',
    '--B',
    'Content-Type: message/delivery-status',
    '',
    'Reporting-MTA: dns; mx.example.net',
    '',
    'Final-Recipient: rfc822; stdin@example.org',
    'Action: delayed',
    'Status: 4.2.2',
    'Diagnostic-Code: smtp; 452 4.2.2 Mailbox full',
    '',
    '--B--',
    '',
  ].join('\r\n');
  const r = await parseBounce([], message);
  expect(r).toMatchObject({ code: 0, stderr: '' });
  expect(lines(r.stdout)).toEqual([
    {
      file: '-',
      recipient: 'stdin@example.org',
      action: 'delayed',
      status: '4.2.2',
      diagnosticCode: '452 4.2.2 Mailbox full',
      category: 'mailbox_full',
      reason: 'mailbox_full',
    },
  ]);
  const empty = await parseBounce(['-'], '');
  expect(empty).toMatchObject({ code: 0, stdout: '{"file":"-","bounce":false}\n', stderr: '' });
});

test('npm run --silent parse-bounce: the script entry prints the same lines and nothing else', async () => {
  const file = fixture('exim-user-unknown.eml');
  const viaNpm = await run('npm', ['run', '--silent', 'parse-bounce', '--', file], { cwd: root });
  const direct = await parseBounce([file]);
  expect(viaNpm.stdout).toBe(direct.stdout);
  expect(lines(viaNpm.stdout)).toEqual([
    expect.objectContaining({
      file,
      recipient: 'abel@example.org',
      category: 'hard_bounce',
      reason: 'user_unknown',
    }),
  ]);
});
