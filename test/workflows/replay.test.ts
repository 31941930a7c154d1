/**
 * Determinism guard: histories recorded from real runs of every delivery scenario (test/histories,
 * written by `RECORD_HISTORIES=1 npm test`) are replayed against today's workflow code. A change
 * that would break deliveries already running fails here.
 */
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import fs from 'node:fs';
import path from 'node:path';
import { workflowBundle } from '../support/delivery-harness';
import { quietRuntime } from '../support/temporal';

const dir = path.join(__dirname, '..', 'histories');
// Today's recordings at the top; older generations of the workflow code, still running somewhere
// until their deliveries end, in subfolders (v1-remote-recording: before recording went local;
// v2-retrying-status: before a waiting delivery's DeliveryStatus stayed in_progress;
// v3-patch-markers: before the starters gave a revision, when every delivery asked its patches;
// v4-local-send: revision 2, each send a local activity, landed once and taken back;
// v5-end-recorded-apart: before the send recorded a final reply's end itself; late-report-v1:
// the late-report workflow before it told an alias member's bounce as read and upserted the
// delivery's address).
const files = fs
  .readdirSync(dir, { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.json'))
  .sort();

describe('replay of recorded delivery, mailing and late-report histories', () => {
  it('when the recorded scenarios are listed, then every lab scenario, the signals, the mailing fan-out and the late reports are there', () => {
    const scenarios = [
      'blocked',
      'busy',
      'flaky',
      'full',
      'grey',
      'ok',
      'other',
      'signals',
      'slow',
      'unknown',
    ];
    // Late reports: applied to an ended delivery, told to a running one (its own address, an alias
    // member's), and found under the delivery's address (blotted out, the mailto, named as sent).
    const lateReports = [
      'late-report-applied',
      'late-report-signalled',
      'late-report-signalled-alias',
      ...['blotted', 'mailto', 'named'].map((k) => `late-report-found-by-delivery-${k}`),
    ];
    expect(files.map((f) => f.replace('.json', '')).sort()).toEqual(
      [
        ...scenarios,
        'mailing',
        ...lateReports,
        ...['late-report-applied', 'late-report-signalled'].map((s) => `late-report-v1/${s}`),
        ...scenarios.map((s) => `v1-remote-recording/${s}`),
        ...scenarios.map((s) => `v2-retrying-status/${s}`),
        ...scenarios.map((s) => `v3-patch-markers/${s}`),
        ...scenarios.map((s) => `v4-local-send/${s}`),
        ...scenarios.map((s) => `v5-end-recorded-apart/${s}`),
      ].sort(),
    );
  });

  const histories = () =>
    files.map((f) => ({
      workflowId: f,
      history: temporal.api.history.v1.History.fromObject(
        JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as Record<string, unknown>,
      ),
    }));
  // Under `npm test` the bundle is the file global setup wrote with writeWorkflowBundle, as
  // `npm run build:workflows` does: the prebuilt bundle of production loads and replays too.
  it('when replayed with the current workflow code, then no history diverges', async () => {
    quietRuntime();
    const failures: string[] = [];
    let replayed = 0;
    const bundle = await workflowBundle();
    for await (const result of Worker.runReplayHistories({ workflowBundle: bundle }, histories())) {
      replayed++;
      if (result.error) failures.push(`${result.workflowId}: ${String(result.error)}`);
    }
    expect(failures).toEqual([]);
    expect(replayed).toBe(files.length);
  });
});
