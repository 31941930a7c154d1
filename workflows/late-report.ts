/**
 * One late report (a DSN or a complaint that came back after a 250) applied to its delivery. Ops
 * find it in the Temporal UI by the recipient's address. A delivery that is still running is told
 * with the `lateFailure` signal and ends by itself; one that ended meanwhile gets the report applied.
 */
import {
  getExternalWorkflowHandle,
  patched,
  proxyActivities,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import { searchAttributes as sa } from '../contract/names';
import { recipientDomain } from '../domain/address';
import type { LateReport, LateReportResult } from '../contract/late-report';
import type { DeliveryActivities } from '../activities';
import { lateFailureSignal } from './delivery';

const { applyLateReport, noteLateReport } = proxyActivities<DeliveryActivities>({
  startToCloseTimeout: '30s',
  // A database outage must delay the report, never lose it: retry without a limit.
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/**
 * The upsert below is new: a worker of before it, beside one of today in a rolling deployment, may
 * have completed the task after an activity of today's returned `deliveryEmail`, without it.
 */
const FOUND_UNDER_DELIVERY = 'late-report-found-under-delivery';

export async function lateReport(report: LateReport): Promise<LateReportResult> {
  const result = await applyLateReport(report);
  // The report named another address or none (blotted out, a mail to the unsubscribe mailto): ops
  // look for it under its delivery's. Decided by the activity's recorded result, so replays agree.
  if (result.deliveryEmail && patched(FOUND_UNDER_DELIVERY))
    upsertSearchAttributes([
      { key: sa.RecipientEmail, value: result.deliveryEmail },
      { key: sa.RecipientDomain, value: recipientDomain(result.deliveryEmail) },
    ]);
  if (!result.signalled || !result.deliveryWorkflowId) return result;
  // As the activity read it (an alias member's hard bounce is a technical problem); histories of
  // before `told` have none, and tell the report as it came, as they did.
  const told = result.told ?? report;
  try {
    await getExternalWorkflowHandle(result.deliveryWorkflowId).signal(lateFailureSignal, told);
  } catch {
    // The delivery ended between the two steps: the report applies to its outcome now.
    return applyLateReport(report);
  }
  await noteLateReport(told);
  return result;
}
