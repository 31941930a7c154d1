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
  /** Batches or polls per run before continue-as-new. */
  stepsPerRun?: number;
  /** Retry bounds for every delivery of the mailing (drills shorten the hours to seconds). */
  retry?: Partial<RetryBounds>;
};

export type MailingResult = { total: number; started: number };

export function mailingWorkflowId(mailingId: string): string {
  return `mailing-${mailingId}`;
}

/** The signature `workflows/mailing.ts` implements (checked in workflows/index.ts). */
export type MailingWorkflow = (input: MailingInput) => Promise<MailingResult>;
