/**
 * What one delivery costs Temporal, pinned: events in its history, workflow tasks, activity tasks,
 * local activities, search-attribute updates, timers and marker events, for the three common
 * courses of a delivery started the way the mailing fan-out starts it (contract/starters.ts, the
 * delivery id given). Every one of these is work for the server and its database on every delivery
 * (docs/performance.md): a change that adds one shows up here, in review, before it shows up in the
 * bench. Counts, never times: the same on any machine.
 *
 * The paths of deliveries started with older revisions (they still run, for up to 48 h after a
 * deployment) are pinned too: revision 1 (the end recorded by the workflow) and the path before
 * revisions. They are what the later revisions saved.
 */
import { temporal } from '@temporalio/proto';
import type { DeliveryActivities } from '../../activities';
import { type AttemptResult, DELIVERY_REVISION, type DeliveryInput } from '../../contract/delivery';
import { deliveryStartAttributes, startDelivery } from '../../contract/starters';
import type { BounceCategory } from '../../domain/classification';
import type { SendInput } from '../../activities/send';
import type { delivery } from '../../workflows/delivery';
import { useTimeSkipping, withMockWorker } from './mock-worker';

const { EventType } = temporal.api.enums.v1;
const t = useTimeSkipping();

function reply(category: BounceCategory, reason: string): AttemptResult {
  return {
    accepted: category === 'delivered',
    reply: `mock ${category} ${reason}`,
    classification: { category, reason, code: null, enhancedCode: null, rule: 'mock' },
    mxHost: null,
    phase: category === 'delivered' ? 'DONE' : 'RCPT TO',
    messageId: '<delivery-42@test.localhost>',
    durationMs: 1,
  };
}
const COURSES = {
  delivered: [reply('delivered', 'accepted')],
  hardBounce: [reply('hard_bounce', 'user_unknown')],
  softThenDelivered: [reply('soft_bounce', 'server_busy'), reply('delivered', 'accepted')],
};

type Cost = {
  events: number;
  workflowTasks: number;
  activityTasks: number;
  localActivities: number;
  searchAttributeUpdates: number;
  timers: number;
  markers: { patch: number };
};

/** Runs one delivery through `replies` (one per attempt) and counts what its history holds. */
async function costOf(
  replies: AttemptResult[],
  how: 'starter' | 'revision 1' | 'before revisions',
  send: 'records the end' | 'could not record it' = 'records the end',
): Promise<Cost> {
  let sends = 0;
  const activities = {
    // As the real send does (activities/send.ts): a final reply's end recorded with it, when the
    // workflow gives the attempt.
    sendAttempt: (input: SendInput) => {
      const result = replies[Math.min(sends++, replies.length - 1)]!;
      const final = input.attempt?.final.includes(result.classification.category) ?? false;
      const ends = send === 'records the end' && final;
      return Promise.resolve(ends ? { ...result, ended: true as const } : result);
    },
    recordRetry: () => Promise.resolve(),
    recordOutcome: () => Promise.resolve({ recorded: true }),
  } satisfies Partial<DeliveryActivities>;
  const events = await withMockWorker(t.env, activities, async ({ taskQueue }) => {
    const input: DeliveryInput = {
      mailingId: '7',
      contactId: taskQueue,
      email: 'someone@mock.test',
      deliveryId: '42',
    };
    const handle =
      how === 'starter'
        ? await startDelivery(t.env.client, input, { taskQueue })
        : // As the starters started deliveries of revision 1 (its attributes given at start), or
          // as deliveries were started before revisions (the input without one).
          await t.env.client.workflow.start<typeof delivery>('delivery', {
            taskQueue,
            workflowId: taskQueue,
            args: [how === 'revision 1' ? { ...input, revision: 1 } : input],
            ...(how === 'revision 1' && { typedSearchAttributes: deliveryStartAttributes(input) }),
          });
    await handle.result();
    return (await handle.fetchHistory()).events ?? [];
  });
  const count = (type: temporal.api.enums.v1.EventType, marker?: string) =>
    events.filter(
      (e) =>
        e.eventType === type &&
        (marker === undefined || e.markerRecordedEventAttributes?.markerName === marker),
    ).length;
  return {
    events: events.length,
    workflowTasks: count(EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED),
    activityTasks: count(EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED),
    localActivities: count(EventType.EVENT_TYPE_MARKER_RECORDED, 'core_local_activity'),
    searchAttributeUpdates: count(EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES),
    timers: count(EventType.EVENT_TYPE_TIMER_STARTED),
    markers: { patch: count(EventType.EVENT_TYPE_MARKER_RECORDED, 'core_patch') },
  };
}

/** The three courses, one after the other, for deliveries started as `how` says. */
async function costsOfTheCourses(how: Parameters<typeof costOf>[1]) {
  return {
    delivered: await costOf(COURSES.delivered, how),
    hardBounce: await costOf(COURSES.hardBounce, how),
    softThenDelivered: await costOf(COURSES.softThenDelivered, how),
  };
}

describe('what one delivery costs Temporal', () => {
  it('when new deliveries are started, then with revision 3', () => {
    expect(DELIVERY_REVISION).toBe(3);
  });

  it('when a delivery started by the fan-out is accepted at once, then 12 events: 2 workflow tasks, 1 activity task (the send, which records the end), 1 search-attribute update, no marker', async () => {
    expect(await costOf(COURSES.delivered, 'starter')).toEqual({
      events: 12,
      workflowTasks: 2,
      activityTasks: 1,
      localActivities: 0,
      searchAttributeUpdates: 1,
      timers: 0,
      markers: { patch: 0 },
    });
  });

  it('when it bounces hard, then the same 12 events', async () => {
    expect(await costOf(COURSES.hardBounce, 'starter')).toEqual({
      events: 12,
      workflowTasks: 2,
      activityTasks: 1,
      localActivities: 0,
      searchAttributeUpdates: 1,
      timers: 0,
      markers: { patch: 0 },
    });
  });

  it('when it is soft-bounced once, then delivered, then 25 events: one search-attribute update per attempt, a timer, the retry recorded by a local activity, no patch marker', async () => {
    expect(await costOf(COURSES.softThenDelivered, 'starter')).toEqual({
      events: 25,
      workflowTasks: 4,
      activityTasks: 2,
      localActivities: 1,
      searchAttributeUpdates: 2,
      timers: 1,
      markers: { patch: 0 },
    });
  });

  it('when the send could not record the end, then the workflow records it in a local activity: 13 events', async () => {
    expect(await costOf(COURSES.delivered, 'starter', 'could not record it')).toMatchObject({
      events: 13,
      activityTasks: 1,
      localActivities: 1,
    });
  });

  it('when a delivery of revision 1 runs, then the end is recorded by the workflow: 13, 13 and 26 events, what revision 3 saves', async () => {
    const once = { workflowTasks: 2, activityTasks: 1, localActivities: 1, searchAttributeUpdates: 1 };
    expect(await costsOfTheCourses('revision 1')).toEqual({
      delivered: { events: 13, ...once, timers: 0, markers: { patch: 0 } },
      hardBounce: { events: 13, ...once, timers: 0, markers: { patch: 0 } },
      softThenDelivered: {
        events: 26,
        workflowTasks: 4,
        activityTasks: 2,
        localActivities: 2,
        searchAttributeUpdates: 2,
        timers: 1,
        markers: { patch: 0 },
      },
    });
  });

  it('when a delivery started before revisions runs, then it still asks its patches (a marker and a TemporalChangeVersion update each): 17, 17 and 34 events, what the revisions save', async () => {
    const once = { workflowTasks: 2, activityTasks: 1, localActivities: 1, timers: 0 };
    expect(await costsOfTheCourses('before revisions')).toEqual({
      delivered: { events: 17, ...once, searchAttributeUpdates: 4, markers: { patch: 1 } },
      hardBounce: { events: 17, ...once, searchAttributeUpdates: 4, markers: { patch: 1 } },
      softThenDelivered: {
        events: 34,
        workflowTasks: 4,
        activityTasks: 2,
        localActivities: 2,
        searchAttributeUpdates: 7,
        timers: 1,
        markers: { patch: 3 },
      },
    });
  });
});
