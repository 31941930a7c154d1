import { Worker } from '@temporalio/worker';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createTimeSkippingEnv } from './support/temporal';
import { sleepThreeHours } from './fixtures/clock-workflows';

const HOUR = 3_600_000;
let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await createTimeSkippingEnv();
});
afterAll(async () => {
  await env?.teardown();
});

describe('the time-skipping test server', () => {
  it('when a workflow sleeps 3 hours, then it wakes 3 hours later in workflow time, in seconds of wall time', async () => {
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: 'clock',
      workflowsPath: require.resolve('./fixtures/clock-workflows'),
      activities: { serverNow: async () => env.currentTimeMs() },
    });
    const wallStart = Date.now();
    const result = await worker.runUntil(
      env.client.workflow.execute(sleepThreeHours, { taskQueue: 'clock', workflowId: 'sleep-3h' }),
    );
    const wallSeconds = (Date.now() - wallStart) / 1000;

    expect(result.after - result.before).toBeGreaterThanOrEqual(3 * HOUR);
    expect(result.after - result.before).toBeLessThan(3 * HOUR + 60_000);
    // The server's own clock moved too: the skip is real, not a trick of the workflow sandbox.
    expect(result.activityAt - result.before).toBeGreaterThanOrEqual(3 * HOUR);
    expect(wallSeconds).toBeLessThan(60);
  });
});
