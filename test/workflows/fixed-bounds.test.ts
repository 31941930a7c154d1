/**
 * A delivery's retry bounds are fixed when it starts: the starter puts them whole into its input,
 * and the workflow reads them only from there. So a later change of the defaults in domain/retry.ts
 * leaves deliveries already running alone: their histories replay against a bundle where the
 * defaults were changed (1–2 h, 24 h instead of 3–4 h, 48 h).
 */
import { Worker } from '@temporalio/worker';
import { bundleWorkflowCode } from '@temporalio/worker';
import path from 'node:path';
import webpack from 'webpack';
import type { DeliveryActivities } from '../../activities';
import type { AttemptResult, DeliveryInput } from '../../contract/delivery';
import { startDelivery } from '../../contract/starters';
import { DEFAULT_RETRY_BOUNDS } from '../../domain/retry';
import { bundlerLogger } from '../../worker/worker';
import { useTimeSkipping, withMockWorker } from './mock-worker';

const t = useTimeSkipping();

const BUSY: AttemptResult = {
  accepted: false,
  reply: '421 4.3.2 Service not available, try again later',
  classification: {
    category: 'soft_bounce',
    reason: 'server_busy',
    code: 421,
    enhancedCode: '4.3.2',
    rule: 'mock',
  },
  mxHost: null,
  phase: 'RCPT TO',
  messageId: '<delivery-1@test.localhost>',
  durationMs: 1,
};

const mocks = {
  sendAttempt: () => Promise.resolve(BUSY),
  recordRetry: () => Promise.resolve(),
  recordOutcome: () => Promise.resolve({ recorded: true }),
} satisfies Partial<DeliveryActivities>;

/** The workflows bundled with the changed defaults in place of domain/retry.ts. */
function bundleWithChangedDefaults() {
  const fixture = path.join(__dirname, '..', 'fixtures', 'retry-defaults-changed.ts');
  return bundleWorkflowCode({
    workflowsPath: require.resolve('../../workflows'),
    logger: bundlerLogger,
    webpackConfigHook: (config) => ({
      ...config,
      plugins: [
        ...(config.plugins ?? []),
        // Only the workflows' import is replaced: the fixture itself imports the real module.
        new webpack.NormalModuleReplacementPlugin(
          /domain\/retry$/,
          (resource: { context: string; request: string }) => {
            if (path.basename(resource.context) === 'workflows') resource.request = fixture;
          },
        ),
      ],
    }),
  });
}

test('when the defaults change in the code, then a delivery that started before replays unchanged', async () => {
  const history = await withMockWorker(t.env, mocks, async ({ taskQueue, workflowId }) => {
    const input: DeliveryInput = {
      mailingId: workflowId,
      contactId: '1',
      email: 'a@busy.test',
      deliveryId: '1',
    };
    const handle = await startDelivery(t.env.client, input, { taskQueue });
    const state = await handle.result();
    expect(state.outcome).toMatchObject({ reason: 'retries_exhausted' });
    return handle.fetchHistory();
  });
  // The input carries the bounds whole, as they were at start.
  const started = history.events![0]!.workflowExecutionStartedEventAttributes!;
  const [payload] = started.input!.payloads!;
  const input = JSON.parse(Buffer.from(payload!.data!).toString()) as DeliveryInput;
  expect(input.retry).toEqual(DEFAULT_RETRY_BOUNDS);

  const changed = await bundleWithChangedDefaults();
  expect(changed.code).toContain('retry-defaults-changed'); // the changed defaults are in the bundle
  await Worker.runReplayHistory({ workflowBundle: changed }, history, 'fixed-bounds');
});
