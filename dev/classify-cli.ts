/** `npm run --silent classify`: one reply per line on stdin, one JSON verdict per line on stdout. */
import readline from 'node:readline';
import { classify } from '../domain/classification';

const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
lines.on('line', (line) => {
  if (line.trim() === '') return;
  process.stdout.write(`${JSON.stringify({ input: line, ...classify(line) })}\n`);
});
