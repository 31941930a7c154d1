/** The real time-skipping test server, from the path global setup found. */
import { temporal } from '@temporalio/proto';
import { SearchAttributeType } from '@temporalio/common';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, type LogEntry, Runtime } from '@temporalio/worker';
import { searchAttributes } from '../../contract/names';

const IndexedValueType = temporal.api.enums.v1.IndexedValueType;

/** Workflow ids whose failure a test provokes: the worker's warnings about them are expected. */
const expectedFailures = new Set<string>();

/** Says that this workflow (and its activities) will fail on purpose: its warnings are not shown. */
export function expectWorkflowFailure(workflowId: string): void {
  expectedFailures.add(workflowId);
}

/**
 * Workers log warnings only, and not those of the failures a test provokes (they would print an
 * alarming stack trace for a passing test). Installed once per process, before any environment,
 * which would otherwise install the plain one.
 */
export function quietRuntime(): void {
  const log = (entry: LogEntry) => {
    if (expectedFailures.has(String(entry.meta?.workflowId))) return;
    console.warn(`[${entry.level}] ${entry.message}`, entry.meta ?? '');
  };
  try {
    Runtime.install({
      logger: new DefaultLogger('WARN', log),
      // The Rust core warns about test-server capabilities on every worker start: not our concern.
      telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' }, forward: {} } },
    });
  } catch {
    // already installed by an earlier test file in this Jest worker
  }
}

/** The test server, with the ops view's search attributes registered as `npm start` does. */
export async function createTimeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  quietRuntime();
  const path = process.env.TEMPORAL_TEST_SERVER_PATH;
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: path ? { type: 'existing-path', path } : { type: 'cached-download' } },
  });
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes: Object.fromEntries(
      Object.values(searchAttributes).map((k) => [
        k.name,
        k.type === SearchAttributeType.INT
          ? IndexedValueType.INDEXED_VALUE_TYPE_INT
          : IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
      ]),
    ),
  });
  return env;
}
