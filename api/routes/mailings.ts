/** Mailings: a draft to some groups, and its send (the mailing workflow) with its progress. */
import type { Client } from '@temporalio/client';
import { z } from 'zod';
import { mailingWorkflowId } from '../../contract/mailing';
import { startMailing } from '../../contract/starters';
import type { Db } from '../../db/connection';
import * as counters from '../../db/counters';
import * as groups from '../../db/groups';
import * as mailings from '../../db/mailings';
import { ApiError } from '../errors';
import { requireMailing } from '../lookups';
import { pageOf, pageQuery, paginate } from '../pagination';
import { route } from '../route';
import { bodyText, idField, idParam, text } from '../validation';
import { emailField } from './contacts';
import { mailingJson, mailingSchema } from './mailing-json';
import { requireVerifiedFrom } from './verified-from';

export type MailingDeps = { db: Db; client: Client; taskQueue: string };

const SEND_DEADLINE_MS = 5_000;
/**
 * A mailing still `sending` this long after its send, with no recipients taken, lost its start
 * (see mailings.markSending): sending it again starts it. Far beyond the start's deadline.
 */
const STUCK_SEND_MS = 60_000;

const mailingBody = z
  .strictObject({
    name: text(200).pipe(z.string().min(1, 'is empty')),
    fromEmail: emailField,
    fromName: z.union([text(200), z.null()]).optional(),
    subject: text(998).pipe(z.string().min(1, 'is empty')),
    // A blank body is no body: `"text": ""` beside an HTML one means none, and alone it is refused.
    text: bodyText(1_000_000).optional().transform(blankAsAbsent),
    html: bodyText(1_000_000).optional().transform(blankAsAbsent),
    groupIds: z.array(idField).min(1).max(100),
  })
  .refine((m) => m.text !== undefined || m.html !== undefined, {
    message: 'a mailing needs a text or an html body that is not blank',
    path: ['text'],
  });

function blankAsAbsent(body: string | undefined): string | undefined {
  return body === undefined || body.trim() === '' ? undefined : body;
}

async function getMailing(db: Db, accountId: string, id: string) {
  const m = await mailings.get(db, accountId, id);
  if (!m) throw new ApiError('not_found', `No mailing ${id}.`);
  return mailingJson(m, await counters.countersOfMailing(db, id));
}

export function mailingRoutes({ db, client, taskQueue }: MailingDeps) {
  return [
    route({
      method: 'post',
      path: '/v1/mailings',
      tag: 'mailings',
      summary: 'Create a draft mailing to some groups',
      body: mailingBody,
      status: 201,
      response: mailingSchema,
      errors: [404, 422],
      async handler({ accountId, body }) {
        await requireVerifiedFrom(db, accountId, body.fromEmail);
        const groupIds = [...new Set(body.groupIds)];
        const id = await db.transaction().execute(async (trx) => {
          const found = await groups.existing(trx, accountId, groupIds);
          const missing = groupIds.filter((g) => !found.has(g));
          if (missing.length)
            throw new ApiError(
              'not_found',
              `No group ${missing.join(', ')}.`,
              missing.map((g) => ({
                field: `groupIds.${body.groupIds.indexOf(g)}`,
                message: `no group ${g}`,
              })),
            );
          const { name, fromEmail, fromName, subject, text, html } = body;
          return mailings.create(
            trx,
            accountId,
            {
              name,
              from_email: fromEmail,
              from_name: fromName ?? null,
              subject,
              text_body: text ?? null,
              html_body: html ?? null,
            },
            groupIds,
          );
        });
        return getMailing(db, accountId, id);
      },
    }),

    route({
      method: 'get',
      path: '/v1/mailings',
      tag: 'mailings',
      summary: 'List mailings',
      query: z.strictObject(pageQuery),
      status: 200,
      response: pageOf(mailingSchema),
      handler: ({ accountId, query }) =>
        paginate(
          query,
          async (page) => {
            const rows = await mailings.list(db, accountId, page);
            // The page's counters in one query, not one per mailing.
            const c = await counters.countersOfMailings(
              db,
              rows.map((m) => m.id),
            );
            return rows.map((m) => ({ ...m, counters: c.get(m.id)! }));
          },
          (m) => mailingJson(m, m.counters),
        ),
    }),

    route({
      method: 'get',
      path: '/v1/mailings/:id',
      tag: 'mailings',
      summary: 'One mailing with the progress of its send',
      status: 200,
      response: mailingSchema,
      errors: [404],
      handler: ({ accountId, params }) => getMailing(db, accountId, idParam(params.id, 'mailing')),
    }),

    route({
      method: 'post',
      path: '/v1/mailings/:id/send',
      tag: 'mailings',
      summary: 'Send a draft: its recipients are the active contacts of its groups at this moment',
      status: 202,
      response: z.strictObject({ id: z.string(), status: z.literal('sending') }),
      errors: [404, 409, 422, 503],
      async handler({ accountId, params }) {
        const id = idParam(params.id, 'mailing');
        const mailing = await requireMailing(db, accountId, id);
        /** The 409, saying when a send that may have lost its start can be made again. */
        const alreadySent = async () => {
          const m = await requireMailing(db, accountId, id);
          if (m.status === 'sending' && m.recipients_total === null && m.sent_at) {
            const wait = Math.max(1, Math.ceil((m.sent_at.getTime() + STUCK_SEND_MS - Date.now()) / 1000));
            return new ApiError(
              'conflict',
              `Mailing ${id} is being sent by another request. If it has not started in ${wait} s, send it again.`,
            );
          }
          return new ApiError('conflict', `Mailing ${id} was already sent (status ${m.status}).`);
        };
        // Draft → sending in a transaction of its own, committed before Temporal is asked: no lock is
        // held while the start waits, and a second send meanwhile finds `sending` (409). The From
        // domain's row is held (shared) until then: its removal waits and then finds this mailing
        // sending (409), or removed it first and this answers 422.
        const sentAt = await db.transaction().execute(async (trx) => {
          // Not sending to anyone yet (a draft, or one whose start was lost): its domain must be
          // verified now. A mailing whose recipients are taken answers 409 below, whatever its
          // domain has become.
          if (mailing.recipients_total === null)
            await requireVerifiedFrom(trx, accountId, mailing.from_email, { lock: true });
          return mailings.markSending(trx, accountId, id, mailingWorkflowId(id), STUCK_SEND_MS);
        });
        if (!sentAt) throw await alreadySent();
        try {
          // Fail fast when Temporal is down: the client would otherwise keep retrying for long.
          await client.connection.withDeadline(Date.now() + SEND_DEADLINE_MS, () =>
            startMailing(client, { mailingId: id }, { taskQueue }),
          );
        } catch (err) {
          // Temporal's own words stay in our log; the client gets ours.
          console.error(`send of mailing ${id}: the mailing workflow did not start`, err);
          if (await mailings.backToDraft(db, accountId, id, sentAt))
            throw new ApiError(
              'unavailable',
              'Temporal did not accept the mailing in time: nothing was sent and the mailing is a draft again. Try again shortly.',
            );
          // Not ours to undo any more: either the start did reach Temporal after all (only the answer
          // was lost) and its workflow took the recipients, or another send took the mailing since.
          const now = await requireMailing(db, accountId, id);
          if (now.recipients_total === null) throw await alreadySent();
        }
        return { id, status: 'sending' as const };
      },
    }),
  ];
}
