/**
 * One delivery: one message to one address of one mailing. Sends, branches on the classified reply,
 * waits 3–4 h between soft bounces for at most 48 h, records the outcome. Deterministic: time and
 * randomness come from the workflow sandbox (`Date.now()`, `Math.random()` are replay-safe here).
 */
import {
  type ActivityOptions,
  ApplicationFailure,
  condition,
  defineQuery,
  defineSignal,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { AttemptRecord, DeliveryInput, DeliveryState } from '../contract/delivery';
import type { LateReport } from '../contract/late-report';
import { searchAttributes as sa } from '../contract/names';
import { recipientDomain } from '../domain/address';
import {
  CANCELLED_BY_OPERATOR,
  type DeliveryOutcome,
  FINAL_CATEGORIES,
  outcomeOf,
  RETRIES_EXHAUSTED,
} from '../domain/outcomes';
import { beyondWindow, nextRetryDelay, type RetryBounds, validRetryBounds } from '../domain/retry';
import { SEND_ACTIVITY_TIMEOUT_MS } from '../domain/smtp-timeouts';
import type { DeliveryActivities } from '../activities';

const sendOptions = {
  // Covers the longest SMTP session RFC 5321's timeouts allow (about 50 min), every MX host tried:
  // a retry never starts while the first try could still be talking.
  startToCloseTimeout: SEND_ACTIVITY_TIMEOUT_MS,
  retry: {
    initialInterval: '10s',
    backoffCoefficient: 2,
    maximumInterval: '5 minutes',
    nonRetryableErrorTypes: ['UnknownMailingError'],
  },
} satisfies ActivityOptions;
/** The send: an activity task of its own (every revision but 2). */
const remote = proxyActivities<DeliveryActivities>({
  ...sendOptions,
  // The activity heartbeats every 5 s while it talks SMTP: a dead worker is noticed this fast.
  heartbeatTimeout: '30s',
});
const recordingOptions = {
  startToCloseTimeout: '30s',
  // A database outage must delay the record, never lose it: retry without a limit.
  retry: {
    initialInterval: '1s',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    nonRetryableErrorTypes: ['UnknownMailingError'],
  },
} satisfies ActivityOptions;
const { beginDelivery, recordRetry, recordOutcome } = proxyActivities<DeliveryActivities>(recordingOptions);
// Recording as local activities: run by the worker inside the workflow task that needs them, with
// no round trips through the server's task queues (the dev server's main cost per delivery).
const local = proxyLocalActivities<DeliveryActivities>(recordingOptions);
/**
 * Revision 2's send, a local activity: landed once, then taken back (docs/performance.md says why).
 * No delivery is started with revision 2 any more, but those started while it was current run this
 * path until they end (up to 48 h): their histories hold local-activity markers for the send, which
 * only this path replays (test/histories/v4-local-send).
 */
const localSend = proxyLocalActivities<DeliveryActivities>(sendOptions);
/** Histories recorded before recording went local replay the old path. */
const LOCAL_RECORDING = 'local-recording';
/**
 * Before this patch a waiting delivery's `DeliveryStatus` said `retrying`, a word the API does not
 * use; now it stays `in_progress` (one vocabulary) and the UI's current details say it is waiting.
 */
const ONE_VOCABULARY = 'one-status-vocabulary';
/**
 * Before this patch a `retryNow` received while an attempt was in flight also skipped the wait
 * after that attempt; now it only ever skips a wait that is going on when it arrives.
 */
const RETRY_NOW_SKIPS_CURRENT_WAIT = 'retry-now-skips-current-wait';

/**
 * The bounds of deliveries started before their input carried them all (the starters now fill
 * them in from domain/retry.ts). Frozen: changing these would change deliveries already running.
 */
const BOUNDS_OF_OLDER_INPUTS: RetryBounds = {
  minDelayMs: 3 * 3_600_000,
  maxDelayMs: 4 * 3_600_000,
  greylistMinDelayMs: 10 * 60_000,
  greylistMaxDelayMs: 20 * 60_000,
  windowMs: 48 * 3_600_000,
};

/** Attempts kept in the query state and the result: the rest are in the history and the database. */
const ATTEMPTS_KEPT = 20;

export const statusQuery = defineQuery<DeliveryState>('status');
/** Skip the current wait and try again now. */
export const retryNowSignal = defineSignal('retryNow');
/** Stop retrying: the delivery ends as a technical problem, reason `cancelled_by_operator`. */
export const giveUpSignal = defineSignal('giveUp');
/**
 * A report that came back after a 250 (a DSN) says an earlier message failed: the delivery ends
 * with that verdict instead of waiting for its next attempt. Sent by the late-report workflow.
 */
export const lateFailureSignal = defineSignal<[LateReport]>('lateFailure');

export async function delivery(input: DeliveryInput): Promise<DeliveryState> {
  const bounds = validRetryBounds({ ...BOUNDS_OF_OLDER_INPUTS, ...input.retry });
  if (!bounds) {
    throw ApplicationFailure.nonRetryable(
      'retry bounds: a minimum delay is above its maximum',
      'InvalidRetryBounds',
    );
  }
  const state: DeliveryState = {
    deliveryId: null,
    email: input.email,
    status: 'in_progress',
    retrying: false,
    attempts: [],
    nextAttemptAt: null,
    outcome: null,
  };
  let retryNow = false;
  let giveUp = false;
  let lateFailure: Extract<LateReport, { kind: 'bounce' }> | undefined;
  setHandler(statusQuery, () => state);
  setHandler(retryNowSignal, () => void (retryNow = true));
  setHandler(giveUpSignal, () => void (giveUp = true));
  setHandler(lateFailureSignal, (report) => {
    if (report.kind === 'bounce' && report.action === 'failed' && report.category !== 'delivered')
      lateFailure ??= report;
  });

  // Deliveries started with a revision (contract/delivery.ts) take today's path without asking:
  // `patched()` would add a marker event (and a search-attribute update) to every one of them. The
  // revision is in the start event, so a replay takes the same path. Older deliveries still ask.
  const lean = (input.revision ?? 0) >= 1;
  const isPatched = (patchId: string) => lean || patched(patchId);
  const { sendAttempt } = input.revision === 2 ? localSend : remote;
  const endsWithSend = (input.revision ?? 0) >= 3;

  // A revised delivery was given these at start by its starter.
  if (!lean) {
    upsertSearchAttributes([
      { key: sa.RecipientEmail, value: input.email },
      { key: sa.RecipientDomain, value: recipientDomain(input.email) },
      { key: sa.MailingId, value: input.mailingId },
      { key: sa.DeliveryStatus, value: 'in_progress' },
      { key: sa.DeliveryAttempts, value: 0 },
    ]);
  }

  const { deliveryId, status } = input.deliveryId
    ? { deliveryId: input.deliveryId, status: undefined }
    : await beginDelivery({
        mailingId: input.mailingId,
        contactId: input.contactId,
        email: input.email,
        workflowId: workflowInfo().workflowId,
      });
  state.deliveryId = deliveryId;
  // Already ended by an earlier run (its workflow id reused once Temporal forgot the old run):
  // sending again would be a duplicate. Histories recorded before this check carry no status.
  if (status !== undefined && status !== 'in_progress') {
    state.status = status;
    return state;
  }

  const finish = async (outcome: DeliveryOutcome, attempt: AttemptRecord | null): Promise<DeliveryState> => {
    // A send that recorded the end itself (revision 3; `ended` is in the history, so a replay
    // decides the same).
    if (!attempt?.ended) {
      await (isPatched(LOCAL_RECORDING) ? local : { recordOutcome }).recordOutcome({
        deliveryId,
        attempt,
        outcome,
      });
    }
    Object.assign(state, { status: outcome.status, retrying: false, nextAttemptAt: null, outcome });
    upsertSearchAttributes([
      // A revised delivery's last attempt is counted here, in the same (its only) upsert.
      ...(lean && attempt ? [{ key: sa.DeliveryAttempts, value: attempt.n }] : []),
      { key: sa.DeliveryStatus, value: outcome.status },
      { key: sa.BounceCategory, value: outcome.category },
      { key: sa.BounceReason, value: outcome.reason },
    ]);
    setCurrentDetails(describe(state));
    return state;
  };

  let firstAttemptAt: number | null = null;
  let greylistedBefore = false;
  for (let n = 1; ; n++) {
    retryNow = false;
    const startedAt = Date.now();
    firstAttemptAt ??= startedAt;
    const at = new Date(startedAt).toISOString();
    const result = await sendAttempt({
      deliveryId,
      mailingId: input.mailingId,
      email: input.email,
      // Revision 3: the attempt's number and time, and which replies this code ends a delivery on,
      // let the send record a final reply's end itself.
      ...(endsWithSend && { attempt: { n, at, final: FINAL_CATEGORIES } }),
    });
    const attempt: AttemptRecord = { ...result, n, at };
    // Bounded whatever happens: the query answer and the result stay small.
    state.attempts = [...state.attempts, attempt].slice(-ATTEMPTS_KEPT);
    const { category, reason } = result.classification;
    const attemptAttributes = [
      { key: sa.DeliveryAttempts, value: n },
      { key: sa.BounceCategory, value: category },
      { key: sa.BounceReason, value: reason },
    ];
    // One upsert per attempt for a revised delivery: this one if it retries, finish's if it ends.
    if (!lean) upsertSearchAttributes(attemptAttributes);

    if (FINAL_CATEGORIES.includes(category)) return finish(outcomeOf(category, reason), attempt);
    if (giveUp) return finish(outcomeOf(category, CANCELLED_BY_OPERATOR), attempt);

    const delay = nextRetryDelay(bounds, { reason, greylistedBefore }, Math.random);
    greylistedBefore ||= reason === 'greylisted';
    const nextAt = Date.now() + delay;
    if (beyondWindow(bounds, firstAttemptAt, nextAt))
      return finish(outcomeOf(category, RETRIES_EXHAUSTED), attempt);

    if (lean) upsertSearchAttributes(attemptAttributes);
    state.retrying = true;
    state.nextAttemptAt = new Date(nextAt).toISOString();
    await (isPatched(LOCAL_RECORDING) ? local : { recordRetry }).recordRetry({
      deliveryId,
      attempt,
      nextAttemptAt: state.nextAttemptAt,
    });
    if (!isPatched(ONE_VOCABULARY)) upsertSearchAttributes([{ key: sa.DeliveryStatus, value: 'retrying' }]);
    setCurrentDetails(describe(state));
    // A retryNow that came while the attempt was in flight had no wait to skip.
    if (isPatched(RETRY_NOW_SKIPS_CURRENT_WAIT)) retryNow = false;

    await condition(() => retryNow || giveUp || lateFailure !== undefined, delay, {
      summary: `retry ${n + 1} after ${reason}`,
    });
    if (giveUp) return finish(outcomeOf(category, CANCELLED_BY_OPERATOR), null);
    if (lateFailure) return finish(outcomeOf(lateFailure.category, lateFailure.reason), null);
  }
}

/** The longest piece of a reply the UI's details show: enough to read, never a flood. */
const REPLY_IN_DETAILS = 300;

/** The current details the Temporal UI shows on the workflow's page (Markdown). */
function describe(state: DeliveryState): string {
  const last = state.attempts.at(-1);
  const reply = last
    ? last.reply.slice(0, REPLY_IN_DETAILS) + (last.reply.length > REPLY_IN_DETAILS ? ' …' : '')
    : '';
  const lines = [`**${state.email}**: ${state.outcome ? state.outcome.status : 'in_progress'}`];
  if (state.outcome) lines.push(`ended: ${state.outcome.category}, ${state.outcome.reason}`);
  if (last) {
    lines.push(
      `attempt ${last.n} at ${last.at}: ${last.classification.category}, ${last.classification.reason}`,
    );
    lines.push(`last reply: \`${reply.replace(/`/g, "'")}\``);
  }
  if (state.nextAttemptAt) lines.push(`waiting: next attempt at ${state.nextAttemptAt}`);
  return lines.join('\n\n');
}
