/**
 * The delivery workflow's contract: its id, its input, what its activities report, its state and
 * its signature. These shapes are recorded in workflow histories: add optional fields, never rename
 * or remove one.
 */
import type { Classification } from '../domain/classification';
import type { DeliveryOutcome, DeliveryStatus } from '../domain/outcomes';
import type { RetryBounds } from '../domain/retry';

export type DeliveryInput = {
  mailingId: string;
  contactId: string;
  email: string;
  retry?: Partial<RetryBounds>;
  /** Set by the mailing fan-out, which created the delivery row already: saves a database step. */
  deliveryId?: string;
  /**
   * The workflow code's shape the delivery was started for, set by the starters
   * (`DELIVERY_REVISION`). Absent (deliveries started before it, or without the starters): the
   * workflow asks Temporal with `patched()` which path each running delivery took, one marker event
   * per patch. 1: today's path without asking (no marker events), the search attributes all given at
   * start (none upserted first), at most one upsert per attempt. 2: the same with each send a local
   * activity; landed once and taken back, so no delivery is started with it now, and those that
   * were run it to their end. 3: revision 1, and a send whose reply is final records the delivery's
   * end itself (the workflow gives it the attempt's number and time).
   */
  revision?: number;
};

/** The `revision` new deliveries are started with (see `DeliveryInput.revision`). */
export const DELIVERY_REVISION = 3;

/** Workflow ids are `delivery-<mailingId>-<contactId>`: one delivery per pair, findable by ops. */
export function deliveryWorkflowId(mailingId: string, contactId: string): string {
  return `delivery-${mailingId}-${contactId}`;
}

/** One try at handing the message to the receiving server, as the send activity reports it. */
export type AttemptResult = {
  accepted: boolean;
  reply: string;
  classification: Classification;
  mxHost: string | null;
  /** Where the conversation stopped: CONN, EHLO, MAIL FROM, RCPT TO, DATA, DNS, or DONE. */
  phase: string;
  messageId: string;
  durationMs: number;
  /**
   * The send recorded the delivery's end itself: the reply was final (domain/outcomes.ts) and the
   * workflow (revision 3 on) had given the attempt's number. The workflow has nothing left to
   * record. Absent otherwise, and when the end could not be written then: the workflow records it.
   */
  ended?: true;
};

export type AttemptRecord = AttemptResult & { n: number; at: string };

/** The live state (the `status` query) and the workflow's result. */
export type DeliveryState = {
  deliveryId: string | null;
  email: string;
  status: DeliveryStatus;
  /** In progress and waiting for its next attempt. */
  retrying: boolean;
  attempts: AttemptRecord[];
  nextAttemptAt: string | null;
  outcome: DeliveryOutcome | null;
};

/** The signature `workflows/delivery.ts` implements (checked in workflows/index.ts). */
export type DeliveryWorkflow = (input: DeliveryInput) => Promise<DeliveryState>;
