/**
 * `npm run drill [-- --size N]`: every drill of test/drills at N deliveries (10,000 by default)
 * instead of its CI size, then one report of the counts: deliveries, duplicates, inputs tried, 5xx.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { runMain } from '../../runtime/run-main';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { size: { type: 'string', default: '10000' } } });
  const size = Number(values.size);
  if (!Number.isInteger(size) || size < 1) throw new Error(`--size: not a count: ${values.size}`);
  const root = path.join(__dirname, '..', '..');
  const report = path.join(root, '.data', 'drill-report.jsonl');
  fs.mkdirSync(path.dirname(report), { recursive: true });
  fs.writeFileSync(report, '');

  const started = Date.now();
  const jest = spawn(path.join(root, 'node_modules', '.bin', 'jest'), ['--runInBand', 'test/drills'], {
    cwd: root,
    env: { ...process.env, DRILL_SIZE: String(size), DRILL_REPORT: report },
    stdio: 'inherit',
  });
  const code = await new Promise<number>((resolve) => jest.once('exit', (c) => resolve(c ?? 1)));

  const lines = fs
    .readFileSync(report, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, number | string> & { drill: string });
  const sum = (key: string) => lines.reduce((s, l) => s + (typeof l[key] === 'number' ? l[key] : 0), 0);
  console.log(
    `\nDrill report (size ${size}, ${Math.round((Date.now() - started) / 1000)} s, ${code === 0 ? 'all passed' : 'FAILED'})`,
  );
  for (const { drill, ...counts } of lines) {
    const text = Object.entries(counts)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
    console.log(`  ${drill.padEnd(26)} ${text}`);
  }
  console.log(
    `  ${'total'.padEnd(26)} deliveries ${sum('deliveries')}, duplicates ${sum('duplicates')}, ` +
      `inputs tried ${sum('inputsTried')}, 5xx seen ${sum('fiveXX')}`,
  );
  process.exitCode = code;
}

runMain(main);
