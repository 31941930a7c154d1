/**
 * The mailing workflow's contract: its id, its input (also what continue-as-new carries over), its
 * result and its signature.
 */
import type { RetryBounds } from '../domain/retry';

export type MailingInput = {
  mailingId: string;
  /** Carried over by continue-as-new: where the fan-out stands. */
  progress?: { total: number; started: number; afterDeliveryId: string | null; fanOutDone: boolean };
  /** Fan-out batch size (tests make it small to cross batch and continue-as-new boundaries). */
  batchSize?: number;
  /**
   * Batches or polls per run before continue-as-new. The starter gives MAILING_STEPS_PER_RUN;
   * absent (mailings started before it), the workflow's own default of 100.
   */
  stepsPerRun?: number;
  /** Retry bounds for every delivery of the mailing (drills shorten the hours to seconds). */
  retry?: Partial<RetryBounds>;
};

/**
 * The steps of one run new mailings are started with: about 6 events each, so a run stays near 120
 * events. The fan-out is evicted from a busy worker's cache between two batches, and its next task
 * replays the run from its start: at most this much (docs/performance.md). Given at start, in the
 * input, so a mailing already running keeps the length it was started with (a shorter one would
 * end its run where the history has its next batch: a non-determinism error).
 */
export const MAILING_STEPS_PER_RUN = 20;

export type MailingResult = { total: number; started: number };

export function mailingWorkflowId(mailingId: string): string {
  return `mailing-${mailingId}`;
}

/** The signature `workflows/mailing.ts` implements (checked in workflows/index.ts). */
export type MailingWorkflow = (input: MailingInput) => Promise<MailingResult>;
