/**
 * The mailing workflow on its own, with typed mock activities: batches that carry the keyset
 * position and the count, continue-as-new every `stepsPerRun` batches or polls with the progress
 * carried over, the done polling that backs off, and a mailing that is not sending.
 */
import { Context } from '@temporalio/activity';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { DeliveryActivities } from '../../activities';
import type { MailingInput } from '../../contract/mailing';
import type { mailing } from '../../workflows/mailing';
import { useTimeSkipping, withMockWorker } from './mock-worker';

const t = useTimeSkipping();

type StartDeliveries = DeliveryActivities['startDeliveries'];

/** A mailing of `total` recipients whose deliveries have all ended at the `doneAt`-th check. */
function mailingMocks(total: number, doneAt: number, opts: { notSending?: boolean } = {}) {
  const calls = {
    resolves: [] as string[],
    batches: [] as Array<{ input: Parameters<StartDeliveries>[0]; runId: string }>,
    checks: [] as Array<{ runId: string; at: number }>,
  };
  const runId = () => Context.current().info.workflowExecution?.runId ?? '';
  const activities = {
    resolveRecipients() {
      calls.resolves.push(runId());
      return opts.notSending
        ? Promise.reject(ApplicationFailure.nonRetryable('mailing 7 was not sent', 'MailingNotSending'))
        : Promise.resolve({ total });
    },
    startDeliveries(input) {
      calls.batches.push({ input, runId: runId() });
      const started = Math.max(0, Math.min(input.limit, total - input.startedBefore));
      return Promise.resolve({
        started,
        lastDeliveryId: started ? String(input.startedBefore + started) : null,
      });
    },
    checkMailingDone() {
      calls.checks.push({ runId: runId(), at: Context.current().info.currentAttemptScheduledTimestampMs });
      const done = calls.checks.length >= doneAt;
      return Promise.resolve({ done, ended: done ? total : 0, total });
    },
  } satisfies Partial<DeliveryActivities>;
  return { activities, calls };
}

async function runMailing(activities: Partial<DeliveryActivities>, input: Omit<MailingInput, 'mailingId'>) {
  return withMockWorker(t.env, activities, ({ taskQueue, workflowId }) =>
    t.env.client.workflow.execute<typeof mailing>('mailing', {
      taskQueue,
      workflowId,
      args: [{ mailingId: '7', ...input }],
    }),
  );
}

it('when 7 recipients go out in batches of 2 with 3 steps per run, then each batch starts after the last, the runs continue as new with the progress, and the polling backs off', async () => {
  const { activities, calls } = mailingMocks(7, 4);
  const retry = { minDelayMs: 1_000, maxDelayMs: 2_000 };
  const result = await runMailing(activities, { batchSize: 2, stepsPerRun: 3, retry });

  expect(result).toEqual({ total: 7, started: 7 });
  expect(calls.resolves).toHaveLength(1); // the recipient snapshot is taken once, not per run
  expect(calls.batches.map((b) => b.input)).toEqual([
    { mailingId: '7', afterDeliveryId: null, limit: 2, startedBefore: 0, retry },
    { mailingId: '7', afterDeliveryId: '2', limit: 2, startedBefore: 2, retry },
    { mailingId: '7', afterDeliveryId: '4', limit: 2, startedBefore: 4, retry },
    { mailingId: '7', afterDeliveryId: '6', limit: 2, startedBefore: 6, retry },
  ]);
  // Run 1: three batches. Run 2: the last batch (it ends the fan-out, not a step), three polls.
  // Run 3: the poll that finds the mailing done.
  const [run1, run2, run3] = [calls.batches[0]!.runId, calls.batches[3]!.runId, calls.checks[3]!.runId];
  expect(calls.batches.map((b) => b.runId)).toEqual([run1, run1, run1, run2]);
  expect(calls.checks.map((c) => c.runId)).toEqual([run2, run2, run2, run3]);
  expect(new Set([run1, run2, run3]).size).toBe(3);
  // The polls of a run wait 5 s, then 10 s; a new run polls at once.
  const waits = calls.checks.slice(1).map((c, i) => c.at - calls.checks[i]!.at);
  expect(waits[0]).toBeGreaterThanOrEqual(5_000);
  expect(waits[0]).toBeLessThan(10_000);
  expect(waits[1]).toBeGreaterThanOrEqual(10_000);
  expect(waits[1]).toBeLessThan(20_000);
  expect(waits[2]).toBeLessThan(5_000);
});

it('when the recipients fill the last batch exactly, then one more batch finds nobody and the fan-out ends', async () => {
  const { activities, calls } = mailingMocks(4, 1);
  expect(await runMailing(activities, { batchSize: 2 })).toEqual({ total: 4, started: 4 });
  expect(calls.batches.map((b) => b.input.startedBefore)).toEqual([0, 2, 4]);
});

it('when the mailing is not sending, then the workflow fails and starts nothing', async () => {
  const { activities, calls } = mailingMocks(3, 1, { notSending: true });
  const failure = await withMockWorker(
    t.env,
    activities,
    ({ taskQueue, workflowId }) =>
      t.env.client.workflow
        .execute<typeof mailing>('mailing', { taskQueue, workflowId, args: [{ mailingId: '7' }] })
        .then(
          () => null,
          (err: unknown) => err,
        ),
    { expectFailure: true },
  );

  expect(failure).toBeInstanceOf(WorkflowFailedError);
  expect((failure as WorkflowFailedError).cause?.cause).toMatchObject({ type: 'MailingNotSending' });
  expect(calls.resolves).toHaveLength(1); // not retried
  expect(calls.batches).toEqual([]);
});
