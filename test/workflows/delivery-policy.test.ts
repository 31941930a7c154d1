/**
 * The delivery workflow's retry policy on its own: the real workflow code on the time-skipping test
 * server, with typed mock activities (no database, no SMTP). Each test scripts the replies the mock
 * send returns, then reads what the workflow did: when it attempted (workflow time, as the `at`
 * fields and as the server scheduled the mock), what it recorded, how it ended. Days of waiting
 * pass in well under a second.
 */
import { Context } from '@temporalio/activity';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { DeliveryActivities } from '../../activities';
import {
  type AttemptResult,
  DELIVERY_REVISION,
  type DeliveryInput,
  type DeliveryState,
} from '../../contract/delivery';
import type { BounceCategory } from '../../domain/classification';
import { MAX_REPLY_CHARS } from '../../domain/reply';
import { type delivery, giveUpSignal, retryNowSignal } from '../../workflows/delivery';
import { deferred, signalHandled, useTimeSkipping, withMockWorker } from './mock-worker';

const MIN = 60_000;
const HOUR = 60 * MIN;
/** What an attempt adds to its delay in workflow time: the mock send and the workflow tasks around it. */
const SLACK = MIN;

const t = useTimeSkipping();

function reply(category: BounceCategory, reason: string): AttemptResult {
  return {
    accepted: category === 'delivered',
    reply: `mock ${category} ${reason}`,
    classification: { category, reason, code: null, enhancedCode: null, rule: 'mock' },
    mxHost: 'mx.mock.test',
    phase: category === 'delivered' ? 'DONE' : 'RCPT TO',
    messageId: '<delivery-42@test.localhost>',
    durationMs: 1,
  };
}
const DELIVERED = reply('delivered', 'accepted');
const BUSY = reply('soft_bounce', 'server_busy');
const GREYLISTED = reply('soft_bounce', 'greylisted');

type Send = DeliveryActivities['sendAttempt'];
type RecordRetry = DeliveryActivities['recordRetry'];
type RecordOutcome = DeliveryActivities['recordOutcome'];
type BeginDelivery = DeliveryActivities['beginDelivery'];
/** One scripted reply per attempt (the last one repeats), or a function that decides it. */
type Script = Array<AttemptResult | (() => Promise<AttemptResult>)>;

/** Mocks of every activity the delivery workflow calls, and what they were called with. */
function deliveryMocks(script: Script, begin?: Awaited<ReturnType<BeginDelivery>>) {
  const calls = {
    sends: [] as Array<{ input: Parameters<Send>[0]; scheduledAt: number }>,
    sendStarted: deferred(),
    retries: [] as Array<Parameters<RecordRetry>[0]>,
    outcomes: [] as Array<Parameters<RecordOutcome>[0]>,
    begins: [] as Array<Parameters<BeginDelivery>[0]>,
  };
  const activities = {
    async sendAttempt(input) {
      calls.sends.push({ input, scheduledAt: Context.current().info.currentAttemptScheduledTimestampMs });
      calls.sendStarted.resolve();
      const step = script[Math.min(calls.sends.length, script.length) - 1]!;
      return typeof step === 'function' ? step() : step;
    },
    recordRetry(input) {
      calls.retries.push(input);
      return Promise.resolve();
    },
    recordOutcome(input) {
      calls.outcomes.push(input);
      return Promise.resolve({ recorded: true });
    },
    beginDelivery(input) {
      calls.begins.push(input);
      return Promise.resolve(begin ?? { deliveryId: '42', status: 'in_progress' as const });
    },
  } satisfies Partial<DeliveryActivities>;
  return { activities, calls };
}

const INPUT: DeliveryInput = {
  mailingId: '7',
  contactId: '9',
  email: 'someone@mock.test',
  deliveryId: '42',
  // The path new deliveries take; the path before revisions is run below too, and pinned by the
  // cost test and the replayed histories.
  revision: DELIVERY_REVISION,
};

/**
 * One delivery to its end with the mocks of `script`; `during` runs once it has started, before
 * the test awaits its result (awaiting the result is what lets the server skip time).
 */
async function deliver(
  script: Script,
  opts: {
    input?: Partial<DeliveryInput>;
    begin?: Awaited<ReturnType<BeginDelivery>>;
    during?: (h: WorkflowHandle<typeof delivery>, calls: Mocks['calls']) => Promise<void>;
  } = {},
) {
  const { activities, calls } = deliveryMocks(script, opts.begin);
  const state = await withMockWorker(t.env, activities, async ({ taskQueue, workflowId }) => {
    const handle = await t.env.client.workflow.start<typeof delivery>('delivery', {
      taskQueue,
      workflowId,
      args: [{ ...INPUT, ...opts.input }],
    });
    await opts.during?.(handle, calls);
    return handle.result();
  });
  return { state, calls, gaps: gapsOf(state), scheduledGaps: diffs(calls.sends.map((s) => s.scheduledAt)) };
}
type Mocks = ReturnType<typeof deliveryMocks>;

const diffs = (times: number[]) => times.slice(1).map((at, i) => at - times[i]!);
/** Workflow time between consecutive attempts. */
const gapsOf = (state: DeliveryState) => diffs(state.attempts.map((a) => Date.parse(a.at)));

function expectWithin(values: number[], min: number, max: number): void {
  for (const v of values) {
    expect(v).toBeGreaterThanOrEqual(min);
    expect(v).toBeLessThanOrEqual(max);
  }
}

async function waitingForRetry(handle: WorkflowHandle<typeof delivery>, attempts: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const s = await handle.query<DeliveryState>('status');
    if (s.retrying && s.attempts.length === attempts) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`the delivery never waited after attempt ${attempts}`);
}

describe('replies that end a delivery at once', () => {
  it('when the first attempt is accepted, then it is delivered after one send, recorded once, never retried', async () => {
    const { state, calls } = await deliver([DELIVERED]);

    expect(state).toMatchObject({
      deliveryId: '42',
      status: 'delivered',
      retrying: false,
      nextAttemptAt: null,
      outcome: { status: 'delivered', category: 'delivered', reason: 'accepted' },
    });
    expect(state.attempts).toEqual([{ ...DELIVERED, n: 1, at: expect.any(String) }]);
    // The attempt's number and workflow time, with which a send may record the end itself.
    expect(calls.sends.map((s) => s.input)).toEqual([
      {
        deliveryId: '42',
        mailingId: '7',
        email: 'someone@mock.test',
        attempt: {
          n: 1,
          at: state.attempts[0]!.at,
          final: ['delivered', 'hard_bounce', 'mailbox_full', 'blocked'],
        },
      },
    ]);
    expect(calls.begins).toEqual([]); // the fan-out gave the delivery id
    expect(calls.retries).toEqual([]);
    // This send (as one from before the send recorded ends) says nothing of the end: recorded here.
    expect(calls.outcomes).toEqual([
      { deliveryId: '42', attempt: state.attempts[0], outcome: state.outcome },
    ]);
  });

  it.each([
    ['accepted', DELIVERED, 'delivered'],
    ['a hard bounce', reply('hard_bounce', 'user_unknown'), 'incorrect_address'],
  ] as const)(
    'when the send says it recorded the end itself (%s), then the workflow records nothing more and ends on it',
    async (_, first, status) => {
      const { state, calls } = await deliver([{ ...first, ended: true }, DELIVERED]);

      const { category, reason } = first.classification;
      expect(state).toMatchObject({ status, outcome: { status, category, reason } });
      expect(calls.sends).toHaveLength(1);
      expect(calls.outcomes).toEqual([]);
      expect(calls.retries).toEqual([]);
    },
  );

  it.each<[string, AttemptResult, DeliveryState['status']]>([
    ['a hard bounce', reply('hard_bounce', 'user_unknown'), 'incorrect_address'],
    ['a full mailbox', reply('mailbox_full', 'mailbox_full'), 'technical_problem'],
    ['a block', reply('blocked', 'ip_blocklisted'), 'technical_problem'],
  ])('when the first reply is %s, then the delivery ends on it with no retry', async (_, first, status) => {
    const { state, calls } = await deliver([first, DELIVERED]);

    const { category, reason } = first.classification;
    const outcome = { status, category, reason };
    expect(state.outcome).toEqual(outcome);
    expect(state.status).toBe(status);
    expect(calls.sends).toHaveLength(1);
    expect(calls.retries).toEqual([]);
    expect(calls.outcomes).toEqual([
      { deliveryId: '42', attempt: { ...first, n: 1, at: state.attempts[0]!.at }, outcome },
    ]);
  });

  it('when a delivery of revision 1 (started before revision 3) sends, then its send is given no attempt and the workflow records the end', async () => {
    const { state, calls } = await deliver([DELIVERED], { input: { revision: 1 } });

    expect(calls.sends.map((s) => s.input)).toEqual([
      { deliveryId: '42', mailingId: '7', email: 'someone@mock.test' },
    ]);
    expect(calls.outcomes).toEqual([
      { deliveryId: '42', attempt: state.attempts[0], outcome: state.outcome },
    ]);
  });

  it('when no delivery id is given, then the workflow begins the delivery row first and uses its id', async () => {
    const { state, calls } = await deliver([DELIVERED], { input: { deliveryId: undefined } });

    expect(calls.begins).toEqual([
      { mailingId: '7', contactId: '9', email: 'someone@mock.test', workflowId: expect.any(String) },
    ]);
    expect(calls.sends[0]!.input.deliveryId).toBe('42');
    expect(state.deliveryId).toBe('42');
  });

  it('when the delivery row says an earlier run already ended it, then nothing is sent or recorded again', async () => {
    const { state, calls } = await deliver([DELIVERED], {
      input: { deliveryId: undefined },
      begin: { deliveryId: '42', status: 'incorrect_address' },
    });

    expect(state).toMatchObject({ status: 'incorrect_address', attempts: [], outcome: null });
    expect(calls.sends).toEqual([]);
    expect(calls.outcomes).toEqual([]);
  });
});

describe('soft bounces: retried every 3–4 h within 48 h of the first attempt', () => {
  it.each([
    ['', DELIVERY_REVISION],
    [' (a delivery started before revisions)', undefined],
  ])(
    'when every reply is a soft bounce, then attempts come 3–4 h apart, none later than 48 h after the first, and it ends as retries_exhausted%s',
    async (_, revision) => {
      const { state, calls, gaps, scheduledGaps } = await deliver([BUSY], { input: { revision } });

      const n = state.attempts.length;
      // 48 h of 3–4 h waits: 12 to 16 waits.
      expect(n).toBeGreaterThanOrEqual(13);
      expect(n).toBeLessThanOrEqual(17);
      expectWithin(gaps, 3 * HOUR, 4 * HOUR + SLACK);
      expectWithin(scheduledGaps, 3 * HOUR, 4 * HOUR + SLACK); // as the server scheduled the mock
      const span = Date.parse(state.attempts[n - 1]!.at) - Date.parse(state.attempts[0]!.at);
      expect(span).toBeLessThanOrEqual(48 * HOUR);
      // Not early either: one more wait of at most 4 h would have fit otherwise.
      expect(span).toBeGreaterThan(44 * HOUR);

      expect(state.outcome).toEqual({
        status: 'technical_problem',
        category: 'soft_bounce',
        reason: 'retries_exhausted',
      });
      // Every attempt but the last announced the next one, at the time it then started.
      expect(calls.retries.map((r) => r.attempt)).toEqual(state.attempts.slice(0, -1));
      calls.retries.forEach((r, i) => {
        expect(r.deliveryId).toBe('42');
        const late = Date.parse(state.attempts[i + 1]!.at) - Date.parse(r.nextAttemptAt);
        expectWithin([late], 0, SLACK);
      });
      expect(calls.outcomes).toEqual([
        { deliveryId: '42', attempt: state.attempts[n - 1], outcome: state.outcome },
      ]);
    },
  );

  // Fixed 1 h waits: the third attempt would start at 2 h plus the time the two sends took.
  it.each([
    ['exactly 2 h, so the third attempt would start past its end', 2, 2 * HOUR],
    ['2 h and a minute, so the third attempt still fits', 3, 2 * HOUR + MIN],
  ])('when the window is %s, then the delivery makes %i attempts', async (_, attempts, windowMs) => {
    const { state, gaps } = await deliver([BUSY], {
      input: { retry: { minDelayMs: HOUR, maxDelayMs: HOUR, windowMs } },
    });

    expect(state.attempts).toHaveLength(attempts);
    expectWithin(gaps, HOUR, HOUR + SLACK);
    expect(state.outcome?.reason).toBe('retries_exhausted');
  });
});

describe('greylisting: the first retry after a greylisting reply comes soon, later ones take 3–4 h', () => {
  const SOON: [number, number] = [10 * MIN, 20 * MIN + SLACK];
  const LATER: [number, number] = [3 * HOUR, 4 * HOUR + SLACK];
  it.each<[string, AttemptResult[], Array<[number, number]>]>([
    ['greylisted twice', [GREYLISTED, GREYLISTED, DELIVERED], [SOON, LATER]],
    ['busy, then greylisted', [BUSY, GREYLISTED, DELIVERED], [LATER, SOON]],
    ['greylisted, busy, greylisted', [GREYLISTED, BUSY, GREYLISTED, DELIVERED], [SOON, LATER, LATER]],
  ])('when the replies are %s, then the waits are as the policy says', async (_, script, waits) => {
    const { state, gaps, calls } = await deliver(script);

    expect(gaps).toHaveLength(waits.length);
    gaps.forEach((gap, i) => expectWithin([gap], ...waits[i]!));
    expect(state.outcome).toEqual({ status: 'delivered', category: 'delivered', reason: 'accepted' });
    expect(calls.retries).toHaveLength(waits.length);
  });
});

describe('operator signals', () => {
  it('when retryNow arrives during a wait, then the next attempt starts at once, and only that wait is skipped', async () => {
    const { state, gaps, calls } = await deliver([BUSY, BUSY, DELIVERED], {
      during: async (handle) => {
        await waitingForRetry(handle, 1);
        await handle.signal(retryNowSignal);
      },
    });

    expect(gaps).toHaveLength(2);
    expectWithin([gaps[0]!], 0, SLACK);
    expectWithin([gaps[1]!], 3 * HOUR, 4 * HOUR + SLACK);
    expect(state.outcome?.status).toBe('delivered');
    // The announced retry was 3–4 h away; it came sooner.
    expect(
      Date.parse(calls.retries[0]!.nextAttemptAt) - Date.parse(state.attempts[0]!.at),
    ).toBeGreaterThanOrEqual(3 * HOUR);
  });

  it('when giveUp arrives during a wait, then it ends as cancelled_by_operator without another attempt', async () => {
    const { state, calls } = await deliver([BUSY, DELIVERED], {
      during: async (handle) => {
        await waitingForRetry(handle, 1);
        await handle.signal(giveUpSignal);
      },
    });

    const outcome = { status: 'technical_problem', category: 'soft_bounce', reason: 'cancelled_by_operator' };
    expect(state.outcome).toEqual(outcome);
    expect(calls.sends).toHaveLength(1);
    expect(calls.retries).toHaveLength(1);
    // The attempt was recorded with the retry already; the outcome comes without one.
    expect(calls.outcomes).toEqual([{ deliveryId: '42', attempt: null, outcome }]);
  });

  /** A first send that returns `first` only once the test, having signalled, lets it. */
  function blockingFirstSend(first: AttemptResult) {
    const release = deferred();
    const script: Script = [
      async () => {
        await release.promise;
        return first;
      },
      DELIVERED,
    ];
    const signalDuringSend =
      (signal: typeof giveUpSignal | typeof retryNowSignal) =>
      async (handle: WorkflowHandle<typeof delivery>, calls: Mocks['calls']) => {
        await calls.sendStarted.promise;
        await handle.signal(signal);
        await signalHandled(handle);
        release.resolve();
      };
    return { script, signalDuringSend };
  }

  it('when giveUp arrives during a send that then soft-bounces, then it ends as cancelled_by_operator at once, without a wait', async () => {
    const { script, signalDuringSend } = blockingFirstSend(BUSY);
    const { state, calls } = await deliver(script, { during: signalDuringSend(giveUpSignal) });

    const outcome = { status: 'technical_problem', category: 'soft_bounce', reason: 'cancelled_by_operator' };
    expect(state.outcome).toEqual(outcome);
    expect(calls.sends).toHaveLength(1);
    expect(calls.retries).toEqual([]); // no wait was announced
    expect(calls.outcomes).toEqual([{ deliveryId: '42', attempt: state.attempts[0], outcome }]);
  });

  it('when giveUp arrives during a send that then succeeds, then the delivery counts', async () => {
    const { script, signalDuringSend } = blockingFirstSend(DELIVERED);
    const { state } = await deliver(script, { during: signalDuringSend(giveUpSignal) });

    expect(state.outcome).toEqual({ status: 'delivered', category: 'delivered', reason: 'accepted' });
  });

  // A retryNow skips a wait that is going on; one that arrives while a send is in flight had no
  // wait to skip, and the wait after that send (announced to the database) is kept.
  it('when retryNow arrives during a send that then soft-bounces, then the wait after that send is kept', async () => {
    const { script, signalDuringSend } = blockingFirstSend(BUSY);
    const { state, gaps, calls } = await deliver(script, { during: signalDuringSend(retryNowSignal) });

    expect(state.attempts).toHaveLength(2);
    expect(calls.retries).toHaveLength(1);
    const announced = Date.parse(calls.retries[0]!.nextAttemptAt) - Date.parse(state.attempts[0]!.at);
    expect(announced).toBeGreaterThanOrEqual(3 * HOUR);
    expectWithin(gaps, 3 * HOUR, 4 * HOUR + SLACK);
    expect(state.outcome?.status).toBe('delivered');
  });
});

describe('retry bounds given as input', () => {
  it.each<[string, Partial<DeliveryInput['retry']>]>([
    ['the minimum delay above the maximum', { minDelayMs: 5 * HOUR, maxDelayMs: 4 * HOUR }],
    ['the greylisting minimum above its maximum', { greylistMinDelayMs: 30 * MIN }],
  ])('when the input has %s, then the workflow fails before sending', async (_, retry) => {
    const { activities, calls } = deliveryMocks([DELIVERED]);
    const failure = await withMockWorker(
      t.env,
      activities,
      async ({ taskQueue, workflowId }) =>
        t.env.client.workflow
          .execute<typeof delivery>('delivery', { taskQueue, workflowId, args: [{ ...INPUT, retry }] })
          .then(
            () => null,
            (err: unknown) => err,
          ),
      { expectFailure: true },
    );

    expect(failure).toBeInstanceOf(WorkflowFailedError);
    const cause = (failure as WorkflowFailedError).cause;
    expect(cause).toBeInstanceOf(ApplicationFailure);
    expect(cause).toMatchObject({ type: 'InvalidRetryBounds', nonRetryable: true });
    expect(calls.sends).toEqual([]);
    expect(calls.outcomes).toEqual([]);
  });
});

/**
 * The history budget of one delivery: 48 h of soft bounces with the longest reply the send keeps
 * (domain/reply.ts), as many attempts as the retry window allows. Temporal refuses histories over
 * 50 MB and payloads over 2 MB; a delivery stays orders of magnitude below.
 */
const HISTORY_BUDGET = { events: 400, bytes: 256 * 1024 };
const STATE_BUDGET_BYTES = 64 * 1024;

describe('what one delivery costs Temporal is bounded', () => {
  it('when every attempt for 48 h soft-bounces with the largest reply kept, then the history, the status and the result stay within budget', async () => {
    const longest = { ...BUSY, reply: `421 4.3.2 ${'x'.repeat(MAX_REPLY_CHARS)}`.slice(0, MAX_REPLY_CHARS) };
    let handle: WorkflowHandle<typeof delivery> | undefined;
    const { state } = await deliver([longest], {
      input: { retry: { minDelayMs: 3 * HOUR, maxDelayMs: 3 * HOUR } }, // the most attempts 48 h allow
      during: (h) => Promise.resolve(void (handle = h)),
    });
    const history = await handle!.fetchHistory();
    const bytes = temporal.api.history.v1.History.encode(history).finish().length;
    const events = history.events?.length ?? 0;

    // 48 h / 3 h, less the time each attempt takes: 16 attempts (measured: 216 events, 98 KB).
    expect(state.attempts.at(-1)!.n).toBe(16);
    expect(events).toBeLessThanOrEqual(HISTORY_BUDGET.events);
    expect(bytes).toBeLessThanOrEqual(HISTORY_BUDGET.bytes);
    expect(Buffer.byteLength(JSON.stringify(state))).toBeLessThanOrEqual(STATE_BUDGET_BYTES);
  });

  it('when a delivery makes more attempts than the state keeps, then the status and the result keep the latest ones', async () => {
    const { state } = await deliver([BUSY], {
      input: { retry: { minDelayMs: MIN, maxDelayMs: MIN, windowMs: 30 * MIN } },
    });
    expect(state.attempts.at(-1)!.n).toBe(30);
    expect(state.attempts.map((a) => a.n)).toEqual(Array.from({ length: 20 }, (_, i) => i + 11));
    expect(state.outcome).toMatchObject({ reason: 'retries_exhausted' });
  });
});
