/**
 * Applies a late report (a DSN or a complaint that came back after a 250) to its delivery, in one
 * transaction, once: the same report received twice changes nothing the second time. What a failed
 * delivery leads to is the policy table of domain/outcomes.ts, as for a reply during the session.
 */
import { ApplicationFailure } from '@temporalio/activity';
import { deliveryWorkflowId } from '../contract/delivery';
import type { LateReport, LateReportResult } from '../contract/late-report';
import { emailKey } from '../domain/address';
import { counterOf, OUTCOMES } from '../domain/outcomes';
import { type Db, isDataException } from '../db/connection';
import * as contacts from '../db/contacts';
import * as counters from '../db/counters';
import * as deliveries from '../db/deliveries';

export function applyLateReport(db: Db, report: LateReport): Promise<LateReportResult> {
  return unstorableIsFinal(() => apply(db, report));
}

async function unstorableIsFinal<T>(write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (err) {
    // A value PostgreSQL cannot take fails the same way on every try: the workflow retries without
    // a limit (a database outage must not lose a report), so such a report would retry for ever.
    if (isDataException(err))
      throw ApplicationFailure.nonRetryable(
        `the report cannot be stored: ${(err as Error).message}`,
        'UnstorableReport',
      );
    throw err;
  }
}

async function apply(db: Db, given: LateReport): Promise<LateReportResult> {
  // A mail to the List-Unsubscribe mailto: the same as the one-click POST, idempotent by itself.
  if (given.kind === 'unsubscribe') {
    const done = await deliveries.unsubscribeRecipient(db, given.deliveryId);
    if (!done) return { effect: 'ignored', signalled: false };
    return {
      effect: done.changed ? 'unsubscribed' : 'recorded',
      signalled: false,
      deliveryEmail: done.email,
    };
  }
  return db.transaction().execute(async (trx) => {
    const d = await deliveries.lockIfExists(trx, given.deliveryId);
    if (!d) return { effect: 'ignored', signalled: false };
    const result = await applyTo(trx, d, given);
    // Found under its delivery's address when the report names another one or none.
    const named = mailboxKey(given.recipient) === d.email_key;
    return result.effect === 'ignored' || named ? result : { ...result, deliveryEmail: d.email };
  });
}

type LockedDelivery = NonNullable<Awaited<ReturnType<typeof deliveries.lockIfExists>>>;

/** The mailbox key of a reported address; null for none, or for one no key can be made of. */
function mailboxKey(address: string | null): string | null {
  try {
    return address === null ? null : emailKey(address);
  } catch {
    return null;
  }
}

async function applyTo(
  trx: Db,
  d: LockedDelivery,
  given: Exclude<LateReport, { kind: 'unsubscribe' }>,
): Promise<LateReportResult> {
  const none = { effect: 'ignored', signalled: false } as const;
  const report = asTechnicalWhenAnother(given, d.email_key);
  if (report.proof === 'headers' && mailboxKey(report.recipient) !== d.email_key) return none;
  // A failure of a delivery still running is its workflow's to record: it is told, and the report
  // is noted (noteLateReport) once it has been.
  if (report.kind === 'bounce' && report.action === 'failed' && d.status === 'in_progress')
    return {
      effect: 'recorded',
      signalled: true,
      deliveryWorkflowId: deliveryWorkflowId(d.mailing_id, d.contact_id),
      ...(report !== given ? { told: report } : {}),
    };
  if (!(await noted(trx, report))) return none;

  if (report.kind === 'complaint') {
    const unsubscribed = await contacts.unsubscribe(trx, d.contact_id, 'complaint');
    await counters.bump(trx, d.mailing_id, report.deliveryId, {
      complaints: 1,
      unsubscribed: unsubscribed ? 1 : 0,
    });
    return { effect: unsubscribed ? 'unsubscribed' : 'recorded', signalled: false };
  }
  // Delays and successes are information only.
  if (report.action !== 'failed' || report.category === 'delivered' || d.status === 'in_progress')
    return { effect: 'recorded', signalled: false };

  const policy = OUTCOMES[report.category];
  // An incorrect address stays one; a technical problem does not become "less" ended.
  if (d.status === policy.status || d.status === 'incorrect_address')
    return { effect: 'recorded', signalled: false };
  if (d.status === 'technical_problem' && policy.status !== 'incorrect_address')
    return { effect: 'recorded', signalled: false };

  await deliveries.changeOutcome(trx, report.deliveryId, {
    status: policy.status,
    category: report.category,
    reason: report.reason,
    reply: lateAttempt(report).reply,
  });
  await counters.bump(trx, d.mailing_id, report.deliveryId, {
    [counterOf(d.status)]: -1,
    [policy.counter]: 1,
  });
  if (d.reason !== null) await counters.countReason(trx, d.mailing_id, report.deliveryId, d.reason, -1);
  await counters.countReason(trx, d.mailing_id, report.deliveryId, report.reason);
  // Only while the contact's address is still the one that bounced: a correction is never undone.
  if (policy.contact === 'mark_incorrect')
    await contacts.markIncorrect(trx, d.contact_id, d.email_key, report.deliveryId, report.reason);
  return {
    effect: policy.status === 'incorrect_address' ? 'incorrect_address' : 'technical_problem',
    signalled: false,
  };
}

/**
 * A hard bounce of another address than the delivery's, under its signed return path: a member of
 * an alias or a list it expanded to (`Original-Recipient` ours, `Final-Recipient` theirs). The
 * address we sent to may still deliver to the others, so it is a technical problem, and the contact
 * stays: it leaves its groups only on a report that says its own address is bad.
 */
function asTechnicalWhenAnother<R extends LateReport>(report: R, emailKeyOfDelivery: string): R {
  if (report.kind !== 'bounce' || report.category !== 'hard_bounce' || report.proof === 'headers')
    return report;
  const key = mailboxKey(report.recipient);
  if (key === emailKeyOfDelivery) return report;
  // The same mailbox with its domain rewritten on the way (Microsoft 365's `…mail.onmicrosoft.com`,
  // a mail host's own domain): the same local part is ours, an alias's member rarely shares it.
  const local = (k: string | null) => (k === null ? null : k.slice(0, k.lastIndexOf('@')));
  if (key !== null && local(key) === local(emailKeyOfDelivery)) return report;
  return { ...report, category: 'blocked', reason: 'expanded_address_failed' };
}

/** Notes a report told to a running delivery: among its attempts, once. */
export async function noteLateReport(db: Db, report: LateReport): Promise<void> {
  await unstorableIsFinal(() => db.transaction().execute((trx) => noted(trx, report)));
}

/** The report claimed (false: seen before) and shown among the delivery's attempts. */
async function noted(trx: Db, report: LateReport): Promise<boolean> {
  if (!(await deliveries.claimLateReport(trx, report.deliveryId, report.key, report.kind))) return false;
  await deliveries.addLateAttempt(trx, report.deliveryId, lateAttempt(report));
  return true;
}

function lateAttempt(report: LateReport) {
  const at = report.receivedAt;
  if (report.kind === 'complaint')
    return {
      at,
      reply: `complaint: ${report.feedbackType}`,
      category: 'complaint',
      reason: report.feedbackType,
      mxHost: null,
      status: null,
    };
  // Not reached (applied without being noted), but typed: a mail to the unsubscribe mailto.
  if (report.kind === 'unsubscribe')
    return {
      at,
      reply: 'unsubscribe by mail',
      category: 'unsubscribe',
      reason: 'one_click',
      mxHost: null,
      status: null,
    };
  const said = report.diagnosticCode ?? [report.action, report.status].filter(Boolean).join(' ');
  return {
    at,
    reply: `${report.action}: ${said}`,
    category: report.category,
    reason: report.reason,
    mxHost: report.remoteMta,
    status: report.status,
  };
}
