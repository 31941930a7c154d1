/**
 * One attempt: the message handed to the receiving server, its reply classified. Sending twice is
 * what a retried activity risks (its worker died after the server's 250, before Temporal heard of
 * it), so an acceptance is committed to PostgreSQL before the activity returns, and a retry of the
 * activity reports that acceptance instead of sending again. What is left is the few milliseconds
 * between the 250 and that commit. A final reply's end is recorded after it (see SendInput.attempt).
 */
import { Context, log } from '@temporalio/activity';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AttemptResult } from '../contract/delivery';
import type { Db } from '../db/connection';
import * as deliveries from '../db/deliveries';
import type { BounceCategory } from '../domain/classification';
import { withHeartbeat } from './heartbeat';
import { recordEndOfSend } from './recording';
import type { createMessageBuilder } from './message';
import type { createSmtpSender } from './smtp';

export type SendInput = {
  deliveryId: string;
  mailingId: string;
  email: string;
  /**
   * The workflow's number and start time of this attempt, and the categories its code ends a
   * delivery on (`final`), given by deliveries of revision 3 on. A reply of those categories has
   * its end recorded here, after the reply, and the result says `ended`: the workflow records
   * nothing (one local activity and its workflow activation fewer per delivery). Absent, only an
   * acceptance is recorded and the workflow records the end.
   */
  attempt?: { n: number; at: string; final: readonly BounceCategory[] };
};

export function createSendAttempt(deps: {
  db: Db;
  smtp: ReturnType<typeof createSmtpSender>;
  messageFor: ReturnType<typeof createMessageBuilder>;
}) {
  return async function sendAttempt(input: SendInput): Promise<AttemptResult> {
    // Only a retry can follow an acceptance: the first try of an activity skips the read. A local
    // send (revision 2's deliveries, still running) always reads: one whose worker died is run
    // again from attempt 1 by the next worker.
    if (mayBeRetry()) {
      const accepted = await deliveries.acceptanceOf(deps.db, input.deliveryId);
      if (accepted) return accepted;
    }
    const message = await deps.messageFor(input);
    return withHeartbeat(async () => {
      const result: AttemptResult = await deps.smtp.send(message, cancellation());
      // First and alone: a small insert of its own row, nothing to wait for, so the window between
      // the 250 and the commit stays a few milliseconds.
      if (result.accepted) await saveUntilDone(() => deliveries.saveReply(deps.db, input.deliveryId, result));
      if (input.attempt?.final.includes(result.classification.category))
        return endWithTheSend(deps.db, input.deliveryId, result, input.attempt);
      return result;
    });
  };
}

/**
 * Records the end of the delivery a final reply settles, and answers `ended`. Tried once: when it
 * cannot be written (the database away, a lock timeout), the result goes back without `ended` and
 * the workflow records the end itself, with its local activity's retries, as for sends before it.
 * The acceptance is already committed, so the send is never repeated for it.
 */
async function endWithTheSend(
  db: Db,
  deliveryId: string,
  result: AttemptResult,
  attempt: { n: number; at: string },
): Promise<AttemptResult> {
  const ended = { ...result, ended: true as const };
  try {
    await recordEndOfSend(db, deliveryId, { ...ended, n: attempt.n, at: attempt.at });
    return ended;
  } catch (err) {
    log.warn('the end of the delivery was not recorded with its send: the workflow records it', {
      deliveryId,
      error: err instanceof Error ? err.message : String(err),
    });
    return result;
  }
}

/**
 * Keeps trying to record the acceptance (the database may be away for a while): failing the
 * activity instead would send the message again. Stops only when the activity is cancelled.
 */
async function saveUntilDone(save: () => Promise<void>): Promise<void> {
  for (let delayMs = 500; ; delayMs = Math.min(delayMs * 2, 30_000)) {
    try {
      return await save();
    } catch (err) {
      if (cancellation()?.aborted) throw err;
      await sleep(delayMs);
    }
  }
}

function mayBeRetry(): boolean {
  try {
    const { attempt, isLocal } = Context.current().info;
    return isLocal || attempt > 1;
  } catch {
    return false; // called outside an activity (a test calling it directly)
  }
}

function cancellation(): AbortSignal | undefined {
  try {
    return Context.current().cancellationSignal;
  } catch {
    return undefined;
  }
}
