/** The policy table is written once in code; the docs' copy of it must say the same. */
import fs from 'node:fs';
import path from 'node:path';
import type { BounceCategory } from '../../domain/classification';
import { OUTCOMES } from '../../domain/outcomes';

const doc = fs.readFileSync(path.join(__dirname, '..', '..', 'docs', 'delivery-rules.md'), 'utf8');

/** The rows of the markdown table that follows the outcomes marker, cells without backticks. */
function documentedRows(): Map<string, string[]> {
  const after = doc.slice(doc.indexOf('<!-- outcomes table')).split('\n');
  const start = after.findIndex((l) => l.startsWith('|'));
  const end = after.findIndex((l, i) => i > start && !l.startsWith('|'));
  const lines = after.slice(start, end);
  const rows = lines.slice(2).map((l) =>
    l
      .split('|')
      .slice(1, -1)
      .map((c) => c.trim().replace(/`/g, '')),
  );
  return new Map(rows.map(([category, ...rest]) => [category!, rest]));
}

test('when docs/delivery-rules.md shows the outcome table, then every row is domain/outcomes.ts', () => {
  const rows = documentedRows();
  expect([...rows.keys()].sort()).toEqual(Object.keys(OUTCOMES).sort());
  for (const [category, o] of Object.entries(OUTCOMES) as [
    BounceCategory,
    (typeof OUTCOMES)[BounceCategory],
  ][])
    expect({ category, cells: rows.get(category) }).toEqual({
      category,
      cells: [o.status, o.counter, o.contact, o.retry],
    });
});
