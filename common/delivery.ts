/**
 * The shapes that travel between the delivery workflow, its activities and the services that start
 * it. They are recorded in workflow histories: add optional fields, never rename or remove one.
 */
import type { BounceCategory, Classification } from './classification';

/** Retry bounds of ../shared/spec/delivery.md, in milliseconds. Workflow input, so a changed default never changes a running delivery. */
export type RetryBounds = {
  minDelayMs: number;
  maxDelayMs: number;
  greylistMinDelayMs: number;
  greylistMaxDelayMs: number;
  /** No attempt starts later than this after the first one. */
  windowMs: number;
};

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
export const DEFAULT_RETRY_BOUNDS: RetryBounds = {
  minDelayMs: 3 * HOUR,
  maxDelayMs: 4 * HOUR,
  greylistMinDelayMs: 10 * MINUTE,
  greylistMaxDelayMs: 20 * MINUTE,
  windowMs: 48 * HOUR,
};

export type DeliveryInput = {
  mailingId: string;
  contactId: string;
  email: string;
  retry?: Partial<RetryBounds>;
  /** Set by the mailing fan-out, which created the delivery row already: saves a database step. */
  deliveryId?: string;
};

/** The domain part of an address, lower-cased: what DNS, the lab and the search attribute key on. */
export function recipientDomain(email: string): string {
  return email.slice(email.lastIndexOf('@') + 1).toLowerCase();
}

/** Workflow ids are `delivery-<mailingId>-<contactId>`: one delivery per pair, findable by ops. */
export const DELIVERY_WORKFLOW_PREFIX = 'delivery-';

export function deliveryWorkflowId(mailingId: string, contactId: string): string {
  return `${DELIVERY_WORKFLOW_PREFIX}${mailingId}-${contactId}`;
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
};

export type AttemptRecord = AttemptResult & { n: number; at: string };

/** What the customer sees in statistics. */
export type DeliveryStatus = 'in_progress' | 'delivered' | 'incorrect_address' | 'technical_problem';

export function statusOf(category: BounceCategory): DeliveryOutcome['status'] {
  if (category === 'delivered') return 'delivered';
  if (category === 'hard_bounce') return 'incorrect_address';
  return 'technical_problem';
}

export type DeliveryOutcome = {
  status: Exclude<DeliveryStatus, 'in_progress'>;
  category: BounceCategory;
  /** `retries_exhausted` and `cancelled_by_operator` end a soft bounce; otherwise the last reply's reason. */
  reason: string;
};

export type DeliveryState = {
  deliveryId: string | null;
  email: string;
  status: DeliveryStatus;
  retrying: boolean;
  attempts: AttemptRecord[];
  nextAttemptAt: string | null;
  outcome: DeliveryOutcome | null;
};
