/**
 * Policy as data: what each bounce category leads to. The delivery workflow reads `retry`, the
 * recording activities read `status`, `counter` and `contact`, and docs/delivery-rules.md shows this
 * table (test/unit/outcomes-doc.test.ts keeps the two in step). When a retry happens is domain/retry.ts.
 * The send activity records a final reply's end for the workflow, for the categories the workflow
 * names in its input (FINAL_CATEGORIES of the workflow's own build): a worker with another table
 * never ends a delivery its workflow would retry.
 */
import type { BounceCategory } from './classification';

/**
 * What the customer sees, the API's and the search attribute's one vocabulary. A delivery waiting
 * for its next attempt is `in_progress` (the statistics count it as `retrying` too).
 */
export type DeliveryStatus = 'in_progress' | 'delivered' | 'incorrect_address' | 'technical_problem';
export type EndedStatus = Exclude<DeliveryStatus, 'in_progress'>;

/** The per-mailing counter an ended delivery adds one to. */
export type Counter = 'delivered' | 'incorrect_addresses' | 'technical_problems';

export type Outcome = {
  status: EndedStatus;
  counter: Counter;
  /** `mark_incorrect`: the contact goes to Incorrect addresses and leaves its groups (remembered). */
  contact: 'keep' | 'mark_incorrect';
  /** `in_window`: tried again on the schedule of domain/retry.ts; `never`: the first reply is final. */
  retry: 'never' | 'in_window';
};

export const OUTCOMES: Readonly<Record<BounceCategory, Outcome>> = {
  delivered: { status: 'delivered', counter: 'delivered', contact: 'keep', retry: 'never' },
  hard_bounce: {
    status: 'incorrect_address',
    counter: 'incorrect_addresses',
    contact: 'mark_incorrect',
    retry: 'never',
  },
  mailbox_full: {
    status: 'technical_problem',
    counter: 'technical_problems',
    contact: 'keep',
    retry: 'never',
  },
  soft_bounce: {
    status: 'technical_problem',
    counter: 'technical_problems',
    contact: 'keep',
    retry: 'in_window',
  },
  // A blocklisting of our IP must never wipe a customer's list: the contact stays.
  blocked: { status: 'technical_problem', counter: 'technical_problems', contact: 'keep', retry: 'never' },
};

/** The categories whose first reply ends the delivery (`retry: 'never'`). */
export const FINAL_CATEGORIES: readonly BounceCategory[] = (Object.keys(OUTCOMES) as BounceCategory[]).filter(
  (c) => OUTCOMES[c].retry === 'never',
);

/** Reasons that end a soft bounce without a final reply of their own. */
export const RETRIES_EXHAUSTED = 'retries_exhausted';
export const CANCELLED_BY_OPERATOR = 'cancelled_by_operator';

/** How a delivery ended: its status, the category of the last reply, and why. */
export type DeliveryOutcome = {
  status: EndedStatus;
  category: BounceCategory;
  /** `retries_exhausted` and `cancelled_by_operator` end a soft bounce; otherwise the last reply's reason. */
  reason: string;
};

export function outcomeOf(category: BounceCategory, reason: string): DeliveryOutcome {
  return { status: OUTCOMES[category].status, category, reason };
}

/** The counter of an ended status (each status has one, whatever the category that led to it). */
export function counterOf(status: EndedStatus): Counter {
  return Object.values(OUTCOMES).find((o) => o.status === status)!.counter;
}
