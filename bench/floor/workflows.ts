/**
 * The floor of `npm run bench`: the simplest workflows Temporal can run, measured on the same server
 * in the same run as the delivery workflow, so that its rate reads as a fraction of what the engine
 * gives at all. Deterministic workflow code, bundled on its own (bench/floor/worker.ts).
 */
import { proxyActivities } from '@temporalio/workflow';
import type { FloorActivities } from './activities';

const { returnAtOnce, sendOne } = proxyActivities<FloorActivities>({ startToCloseTimeout: '1 minute' });

/** One activity that returns at once: a start, two workflow tasks, one activity task, the end. */
export async function oneActivity(): Promise<void> {
  await returnAtOnce();
}

/** One activity that sends one message through the same SMTP sink as the deliveries. */
export async function oneSend(to: string): Promise<void> {
  await sendOne(to);
}
