/** Every workflow the worker runs. Its bundle is built from this file. */
import type { DeliveryWorkflow } from '../contract/delivery';
import type { LateReportWorkflow } from '../contract/late-report';
import type { MailingWorkflow } from '../contract/mailing';
import type { delivery } from './delivery';
import type { lateReport } from './late-report';
import type { mailing } from './mailing';

export { delivery, statusQuery, retryNowSignal, giveUpSignal, lateFailureSignal } from './delivery';
export { lateReport } from './late-report';
export { mailing } from './mailing';

/** Compile-time check: the workflows keep the signatures the contract's starters are typed by. */
type Implements<W extends Contract, Contract> = W;
export type CheckedSignatures = [
  Implements<typeof delivery, DeliveryWorkflow>,
  Implements<typeof mailing, MailingWorkflow>,
  Implements<typeof lateReport, LateReportWorkflow>,
];
