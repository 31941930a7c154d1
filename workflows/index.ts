/** Every workflow the worker runs. Its bundle is built from this file. */
export { delivery, statusQuery, retryNowSignal, giveUpSignal } from './delivery';
export { mailing } from './mailing';
