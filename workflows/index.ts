/** Every workflow the worker runs. Its bundle is built from this file. */
import type { DeliveryWorkflow } from '../contract/delivery';
import type { MailingWorkflow } from '../contract/mailing';
import type { delivery } from './delivery';
import type { mailing } from './mailing';

export { delivery, statusQuery, retryNowSignal, giveUpSignal } from './delivery';
export { mailing } from './mailing';

/** Compile-time check: the workflows keep the signatures the contract's starters are typed by. */
type Implements<W extends Contract, Contract> = W;
export type CheckedSignatures = [
  Implements<typeof delivery, DeliveryWorkflow>,
  Implements<typeof mailing, MailingWorkflow>,
];
