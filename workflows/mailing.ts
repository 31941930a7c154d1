/**
 * One mailing: snapshot its recipients, start one delivery workflow each in batches, then wait until
 * every delivery has ended and mark the mailing done. The history stays bounded whatever the size:
 * each batch is one activity, and the run continues as new every `stepsPerRun` batches or polls.
 */
import { continueAsNew, proxyActivities, sleep } from '@temporalio/workflow';
import type { MailingInput, MailingResult } from '../contract/mailing';
import type { DeliveryActivities } from '../activities';

const { resolveRecipients, startDeliveries, checkMailingDone } = proxyActivities<DeliveryActivities>({
  startToCloseTimeout: '5 minutes',
  // The long ones heartbeat every 5 s (activities/heartbeat.ts): a dead worker is noticed this fast.
  heartbeatTimeout: '30s',
  retry: {
    initialInterval: '1s',
    maximumInterval: '1 minute',
    nonRetryableErrorTypes: ['MailingNotSending'],
  },
});

const DEFAULT_BATCH_SIZE = 500;
// ~6 events per batch or poll: 100 of them keep a run under a thousand events. Mailings started
// without `stepsPerRun` (before the starter gave one) run with it: frozen, as they replay with it.
const DEFAULT_STEPS_PER_RUN = 100;
const FIRST_POLL_MS = 5_000;
const MAX_POLL_MS = 10 * 60_000;

export async function mailing(input: MailingInput): Promise<MailingResult> {
  const { mailingId } = input;
  const batchSize = input.batchSize ?? DEFAULT_BATCH_SIZE;
  const stepsPerRun = input.stepsPerRun ?? DEFAULT_STEPS_PER_RUN;
  const progress = input.progress ?? {
    ...(await resolveRecipients({ mailingId })),
    started: 0,
    afterDeliveryId: null,
    fanOutDone: false,
  };
  const next = () => continueAsNew<typeof mailing>({ ...input, progress });

  let steps = 0;
  while (!progress.fanOutDone) {
    const batch = await startDeliveries({
      mailingId,
      afterDeliveryId: progress.afterDeliveryId,
      limit: batchSize,
      startedBefore: progress.started,
      ...(input.retry && { retry: input.retry }),
    });
    progress.started += batch.started;
    progress.afterDeliveryId = batch.lastDeliveryId ?? progress.afterDeliveryId;
    progress.fanOutDone = batch.started < batchSize;
    if (!progress.fanOutDone && ++steps >= stepsPerRun) return next();
  }

  // Deliveries end on their own (within 48 h); the mailing only watches the counters they keep.
  let pollMs = FIRST_POLL_MS;
  for (;;) {
    const { done } = await checkMailingDone({ mailingId });
    if (done) return { total: progress.total, started: progress.started };
    if (++steps >= stepsPerRun) return next();
    await sleep(pollMs);
    pollMs = Math.min(pollMs * 2, MAX_POLL_MS);
  }
}
