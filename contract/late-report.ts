/**
 * What comes back after a 250, as durable work: one report about one delivery (a DSN's recipient
 * or a complaint), found by the listener and handed to Temporal before the listener answers 250.
 * Recorded in workflow histories: add optional fields, never rename or remove one.
 */
import type { BounceCategory } from '../domain/classification';

export type LateReport = {
  deliveryId: string;
  /** What identifies the report's content: the same report received twice has the same key. */
  key: string;
  receivedAt: string;
  /** The address the report is about (the recipient of the returned message). */
  recipient: string | null;
  /**
   * How the delivery was found: its signed return path; at the feedback-loop address, a signed
   * reference in the returned message's headers (its Return-Path, a List-Unsubscribe token), or
   * headers anyone can write (`headers`: then the recipient must be the delivery's own).
   */
  proof?: 'return_path' | 'signed_headers' | 'headers';
} & (
  | {
      kind: 'bounce';
      action: 'failed' | 'delayed' | 'delivered' | 'relayed' | 'expanded';
      status: string | null;
      diagnosticCode: string | null;
      remoteMta: string | null;
      category: BounceCategory;
      reason: string;
    }
  | { kind: 'complaint'; feedbackType: string }
  /** A mail to the List-Unsubscribe mailto, `unsubscribe+<token>@BOUNCE_DOMAIN`: the token is the proof. */
  | { kind: 'unsubscribe' }
);

/** What applying a report did. */
export type LateReportResult = {
  /** `ignored`: information only, already applied, or nothing to change. */
  effect: 'incorrect_address' | 'technical_problem' | 'unsubscribed' | 'recorded' | 'ignored';
  /** The delivery's workflow is still running: it is to be told, and ends accordingly. */
  signalled: boolean;
  /** The delivery's workflow, when `signalled`. */
  deliveryWorkflowId?: string;
  /**
   * The report as it is to be told, when it reads otherwise than it came: a hard bounce of another
   * address than the delivery's (a member of an alias) is told as a technical problem.
   */
  told?: LateReport;
  /**
   * The address of the delivery the report was applied to, when the report names another or none
   * (a feedback loop blots it out; a mail to the unsubscribe mailto has none): the workflow takes it
   * as its RecipientEmail, so that ops find the report under the address.
   */
  deliveryEmail?: string;
};

/** One workflow per report: the same report twice starts nothing new. */
export function lateReportWorkflowId(report: Pick<LateReport, 'deliveryId' | 'key'>): string {
  return `late-report-${report.deliveryId}-${report.key}`;
}

/** The signature `workflows/late-report.ts` implements (checked in workflows/index.ts). */
export type LateReportWorkflow = (report: LateReport) => Promise<LateReportResult>;
