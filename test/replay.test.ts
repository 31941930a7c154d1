/**
 * Determinism guard: histories recorded from real runs of every delivery scenario (test/histories,
 * written by `RECORD_HISTORIES=1 npm test`) are replayed against today's workflow code. A change
 * that would break deliveries already running fails here.
 */
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import fs from 'node:fs';
import path from 'node:path';
import { workflowBundle } from './support/delivery-harness';

const dir = path.join(__dirname, 'histories');
const files = fs.readdirSync(dir).filter((f) => f.endsWith('.json'));

describe('replay of recorded delivery and mailing histories', () => {
  it('when the recorded scenarios are listed, then every lab scenario, the signals and the mailing fan-out are there', () => {
    expect(files.map((f) => f.replace('.json', '')).sort()).toEqual(
      [
        'blocked',
        'busy',
        'flaky',
        'full',
        'grey',
        'mailing',
        'ok',
        'other',
        'signals',
        'slow',
        'unknown',
      ].sort(),
    );
  });

  it('when replayed with the current workflow code, then no history diverges', async () => {
    const histories = files.map((f) => ({
      workflowId: f,
      history: temporal.api.history.v1.History.fromObject(
        JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as Record<string, unknown>,
      ),
    }));
    const failures: string[] = [];
    let replayed = 0;
    for await (const result of Worker.runReplayHistories(
      { workflowBundle: await workflowBundle() },
      histories,
    )) {
      replayed++;
      if (result.error) failures.push(`${result.workflowId}: ${String(result.error)}`);
    }
    expect(failures).toEqual([]);
    expect(replayed).toBe(files.length);
  });
});
