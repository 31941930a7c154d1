/**
 * Every side effect of a delivery and of a mailing's fan-out, wired to the worker's dependencies.
 * The workflows import only the type `DeliveryActivities`.
 */
import type { Client } from '@temporalio/client';
import type { Db } from '../db/connection';
import type { ReturnPathKeys } from '../inbound/return-path';
import { withHeartbeat } from './heartbeat';
import { checkMailingDone, resolveRecipients, startDeliveries } from './mailing';
import { applyLateReport, noteLateReport } from './late-report';
import { createMessageBuilder } from './message';
import { beginDelivery, recordOutcome, recordRetry } from './recording';
import { createSendAttempt } from './send';
import type { createSmtpSender } from './smtp';

export type ActivityDeps = {
  db: Db;
  smtp: ReturnType<typeof createSmtpSender>;
  /** DKIM_ENCRYPTION_KEY: opens the sealed DKIM key each message is signed with. */
  dkimKeySecret: string;
  /** Signs each message's return path, so that its bounces can name their delivery. */
  returnPath: ReturnPathKeys;
  /** The API's public base URL (PUBLIC_URL): each message's one-click unsubscribe link points at it. */
  publicUrl: string;
  /** The mailing fan-out starts delivery workflows with this client, on this task queue. */
  temporal: Client;
  taskQueue: string;
};

type Input<F extends (db: never, input: never) => unknown> = Parameters<F>[1];

export function createActivities(deps: ActivityDeps) {
  const messageFor = createMessageBuilder(deps);
  return {
    beginDelivery: (input: Input<typeof beginDelivery>) => beginDelivery(deps.db, input),
    recordRetry: (input: Input<typeof recordRetry>) => recordRetry(deps.db, input),
    recordOutcome: (input: Input<typeof recordOutcome>) => recordOutcome(deps.db, input),
    resolveRecipients: (input: Input<typeof resolveRecipients>) =>
      withHeartbeat(() => resolveRecipients(deps.db, input)),
    startDeliveries: (input: Input<typeof startDeliveries>) =>
      withHeartbeat(() => startDeliveries(deps, input)),
    checkMailingDone: (input: Input<typeof checkMailingDone>) => checkMailingDone(deps.db, input),
    applyLateReport: (input: Input<typeof applyLateReport>) => applyLateReport(deps.db, input),
    noteLateReport: (input: Input<typeof noteLateReport>) => noteLateReport(deps.db, input),

    sendAttempt: createSendAttempt({ db: deps.db, smtp: deps.smtp, messageFor }),
  };
}

export type DeliveryActivities = ReturnType<typeof createActivities>;
