/**
 * Mailings: a draft, its send (the mailing workflow), its statistics from the counters the recording
 * activities keep, its recipients, and its technical problems gathered into a group.
 */
import type { Client } from '@temporalio/client';
import { sql } from 'kysely';
import { z } from 'zod';
import { startMailing, mailingWorkflowId } from '../../common/mailing';
import type { Db } from '../../db/connection';
import { ApiError } from '../errors';
import { decodeCursor, page, pageQuery } from '../pagination';
import { route } from '../route';
import { singleFlight } from '../single-flight';
import { idField, idParam, text } from '../validation';
import { emailField, requireGroup } from './contacts';
import { createGroup, groupName } from './groups';

export type MailingDeps = { db: Db; client: Client; taskQueue: string };

const SEND_DEADLINE_MS = 5_000;
const DELIVERY_STATUSES = ['delivered', 'incorrect_address', 'technical_problem', 'in_progress'] as const;

/** Mailings with their groups and how many deliveries have ended: one query for one or a page. */
function mailingsQuery(db: Db, accountId: string) {
  return db
    .selectFrom('mailings as m')
    .selectAll('m')
    .select([
      sql<string[]>`coalesce((select array_agg(mg.group_id::text order by mg.group_id)
        from mailing_groups mg where mg.mailing_id = m.id), '{}')`.as('group_ids'),
      sql<string>`(select coalesce(sum(delivered + incorrect_addresses + technical_problems), 0)
        from mailing_counters mc where mc.mailing_id = m.id)`.as('ended'),
    ])
    .where('m.account_id', '=', accountId);
}
type MailingRow = Awaited<ReturnType<ReturnType<typeof mailingsQuery>['executeTakeFirstOrThrow']>>;

function mailingJson(m: MailingRow) {
  return {
    id: m.id,
    name: m.name,
    fromEmail: m.from_email,
    fromName: m.from_name,
    subject: m.subject,
    text: m.text_body,
    html: m.html_body,
    groupIds: m.group_ids,
    status: m.status,
    // Progress of a send: recipients resolved, delivery workflows started, deliveries ended.
    recipients: m.recipients_total,
    deliveriesStarted: m.deliveries_started,
    deliveriesEnded: Number(m.ended),
    workflowId: m.workflow_id,
    createdAt: m.created_at.toISOString(),
    sentAt: m.sent_at?.toISOString() ?? null,
    doneAt: m.done_at?.toISOString() ?? null,
  };
}

async function getMailing(db: Db, accountId: string, id: string) {
  const m = await mailingsQuery(db, accountId).where('m.id', '=', id).executeTakeFirst();
  if (!m) throw new ApiError('not_found', `No mailing ${id}.`);
  return mailingJson(m);
}

async function requireMailing(db: Db, accountId: string, id: string) {
  const m = await db
    .selectFrom('mailings')
    .select(['id', 'status'])
    .where('id', '=', id)
    .where('account_id', '=', accountId)
    .executeTakeFirst();
  if (!m) throw new ApiError('not_found', `No mailing ${id}.`);
  return m;
}

/** The delivery graph from the counters, in one round trip; undefined when not this account's mailing. */
async function statsOf(db: Db, accountId: string, id: string) {
  const { rows } = await sql<{ c: Record<string, string | number>; reasons: Record<string, number> }>`
    select
      (select json_build_object(
          'total', coalesce(sum(total), 0), 'delivered', coalesce(sum(delivered), 0),
          'incorrect', coalesce(sum(incorrect_addresses), 0),
          'technical', coalesce(sum(technical_problems), 0), 'retrying', coalesce(sum(retrying), 0))
         from mailing_counters where mailing_id = m.id) as c,
      (select coalesce(json_object_agg(reason, n order by reason), '{}')
         from (select reason, sum(n) as n from mailing_reason_counters where mailing_id = m.id
                group by reason having sum(n) > 0) r) as reasons
    from mailings m where m.id = ${id} and m.account_id = ${accountId}`.execute(db);
  const row = rows[0];
  if (!row) return undefined;
  const n = (k: string) => Number(row.c[k]);
  return {
    total: n('total'),
    delivered: n('delivered'),
    incorrectAddresses: n('incorrect'),
    technicalProblems: n('technical'),
    inProgress: n('total') - n('delivered') - n('incorrect') - n('technical'),
    retrying: n('retrying'),
    byReason: Object.fromEntries(Object.entries(row.reasons).map(([k, v]) => [k, Number(v)])),
  };
}

const mailingBody = z
  .strictObject({
    name: text(200).pipe(z.string().min(1, 'is empty')),
    fromEmail: emailField,
    fromName: z.union([text(200), z.null()]).optional(),
    subject: text(998).pipe(z.string().min(1, 'is empty')),
    text: z.string().max(1_000_000).optional(),
    html: z.string().max(1_000_000).optional(),
    groupIds: z.array(idField).min(1).max(100),
  })
  .refine((m) => m.text !== undefined || m.html !== undefined, {
    message: 'a mailing needs a text or an html body',
    path: ['text'],
  });

export function mailingRoutes({ db, client, taskQueue }: MailingDeps) {
  // Clients polling the same mailing at once share one query: the answer is as fresh as the one
  // query in flight, and the database sees one read per mailing at a time, not one per request.
  const readStats = singleFlight(
    ({ accountId, id }: { accountId: string; id: string }) => `${accountId}:${id}`,
    ({ accountId, id }) => statsOf(db, accountId, id),
  );
  return [
    route({
      method: 'post',
      path: '/v1/mailings',
      tag: 'mailings',
      summary: 'Create a draft mailing to some groups',
      body: mailingBody,
      status: 201,
      errors: [404],
      async handler({ accountId, body }) {
        const groupIds = [...new Set(body.groupIds)];
        const id = await db.transaction().execute(async (trx) => {
          const found = await trx
            .selectFrom('groups')
            .select('id')
            .where('account_id', '=', accountId)
            .where('id', 'in', groupIds)
            .execute();
          const missing = groupIds.filter((g) => !found.some((f) => f.id === g));
          if (missing.length)
            throw new ApiError(
              'not_found',
              `No group ${missing.join(', ')}.`,
              missing.map((g) => ({
                field: `groupIds[${body.groupIds.indexOf(g)}]`,
                message: `no group ${g}`,
              })),
            );
          const { id } = await trx
            .insertInto('mailings')
            .values({
              account_id: accountId,
              name: body.name,
              from_email: body.fromEmail,
              from_name: body.fromName ?? null,
              subject: body.subject,
              text_body: body.text ?? null,
              html_body: body.html ?? null,
            })
            .returning('id')
            .executeTakeFirstOrThrow();
          await trx
            .insertInto('mailing_groups')
            .values(groupIds.map((group_id) => ({ mailing_id: id, group_id })))
            .execute();
          return id;
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
      async handler({ accountId, query }) {
        let q = mailingsQuery(db, accountId)
          .orderBy('m.id')
          .limit(query.limit + 1);
        const after = decodeCursor(query.cursor);
        if (after) q = q.where('m.id', '>', after);
        return page(await q.execute(), query.limit, (m) => m.id, mailingJson);
      },
    }),

    route({
      method: 'get',
      path: '/v1/mailings/:id',
      tag: 'mailings',
      summary: 'One mailing with the progress of its send',
      status: 200,
      errors: [404],
      handler: ({ accountId, params }) => getMailing(db, accountId, idParam(params.id, 'mailing')),
    }),

    route({
      method: 'post',
      path: '/v1/mailings/:id/send',
      tag: 'mailings',
      summary: 'Send a draft: its recipients are the active contacts of its groups at this moment',
      status: 202,
      errors: [404, 409, 503],
      async handler({ accountId, params }) {
        const id = idParam(params.id, 'mailing');
        const workflowId = mailingWorkflowId(id);
        // The status change and the workflow start succeed together: the workflow is started while
        // the row is locked, and a failed start rolls the status back. Should the commit itself
        // fail after the start, the workflow finds the mailing still a draft and ends.
        await db.transaction().execute(async (trx) => {
          const m = await trx
            .updateTable('mailings')
            .set({ status: 'sending', sent_at: sql<Date>`now()`, workflow_id: workflowId })
            .where('id', '=', id)
            .where('account_id', '=', accountId)
            .where('status', '=', 'draft')
            .returning('id')
            .executeTakeFirst();
          if (!m) {
            const existing = await requireMailing(trx, accountId, id);
            throw new ApiError('conflict', `Mailing ${id} was already sent (status ${existing.status}).`);
          }
          try {
            // Fail fast when Temporal is down: the client would otherwise keep retrying for long.
            await client.connection.withDeadline(Date.now() + SEND_DEADLINE_MS, () =>
              startMailing(client, { mailingId: id }, { taskQueue }),
            );
          } catch (err) {
            throw new ApiError(
              'unavailable',
              `Temporal did not accept the mailing; nothing was sent. Try again. (${(err as Error).message})`,
            );
          }
        });
        return { id, status: 'sending' };
      },
    }),

    route({
      method: 'get',
      path: '/v1/mailings/:id/stats',
      tag: 'mailings',
      summary: 'The delivery graph: delivered, incorrect addresses, technical problems, in progress',
      status: 200,
      errors: [404],
      async handler({ accountId, params }) {
        const stats = await readStats({ accountId, id: idParam(params.id, 'mailing') });
        if (!stats) throw new ApiError('not_found', `No mailing ${params.id}.`);
        return stats;
      },
    }),

    route({
      method: 'get',
      path: '/v1/mailings/:id/recipients',
      tag: 'mailings',
      summary: 'Recipients of a mailing by status; contactIncorrect marks the greyed ones',
      query: z.strictObject({ status: z.enum(DELIVERY_STATUSES).optional(), ...pageQuery }),
      status: 200,
      errors: [404],
      async handler({ accountId, params, query }) {
        const id = idParam(params.id, 'mailing');
        await requireMailing(db, accountId, id);
        let q = db
          .selectFrom('deliveries as d')
          .innerJoin('contacts as c', 'c.id', 'd.contact_id')
          .select([
            'd.id',
            'd.contact_id',
            'd.email',
            'd.status',
            'd.category',
            'd.reason',
            'd.attempts',
            'd.last_reply',
            'd.last_attempt_at',
            'd.next_attempt_at',
            'd.workflow_id',
            'c.status as contact_status',
          ])
          .where('d.mailing_id', '=', id)
          .orderBy('d.id')
          .limit(query.limit + 1);
        if (query.status) q = q.where('d.status', '=', query.status);
        const after = decodeCursor(query.cursor);
        if (after) q = q.where('d.id', '>', after);
        return page(
          await q.execute(),
          query.limit,
          (d) => d.id,
          (d) => ({
            deliveryId: d.id,
            contactId: d.contact_id,
            email: d.email,
            status: d.status,
            category: d.category,
            reason: d.reason,
            attempts: d.attempts,
            lastReply: d.last_reply,
            lastAttemptAt: d.last_attempt_at?.toISOString() ?? null,
            nextAttemptAt: d.next_attempt_at?.toISOString() ?? null,
            contactIncorrect: d.contact_status === 'incorrect',
            workflowId: d.workflow_id,
          }),
        );
      },
    }),

    route({
      method: 'post',
      path: '/v1/mailings/:id/technical-problems/add-to-group',
      tag: 'mailings',
      summary: 'Put every still-active contact whose delivery ended as a technical problem into a group',
      body: z
        .strictObject({
          groupId: idField.optional(),
          newGroup: z.strictObject({ name: groupName }).optional(),
        })
        .refine((b) => (b.groupId === undefined) !== (b.newGroup === undefined), {
          message: 'give exactly one of groupId and newGroup',
          path: ['groupId'],
        }),
      status: 200,
      errors: [404],
      async handler({ accountId, params, body }) {
        const id = idParam(params.id, 'mailing');
        await requireMailing(db, accountId, id);
        if (body.groupId !== undefined) await requireGroup(db, accountId, body.groupId);
        return db.transaction().execute(async (trx) => {
          const groupId = body.groupId ?? (await createGroup(trx, accountId, body.newGroup!.name));
          const eligible = trx
            .selectFrom('deliveries as d')
            .innerJoin('contacts as c', 'c.id', 'd.contact_id')
            .where('d.mailing_id', '=', id)
            .where('d.status', '=', 'technical_problem')
            .where('c.status', '=', 'active');
          const [{ n }] = (await eligible.select((eb) => eb.fn.countAll<string>().as('n')).execute()) as [
            { n: string },
          ];
          const added = await trx
            .insertInto('group_members')
            .columns(['group_id', 'contact_id'])
            .expression(eligible.select((eb) => [eb.val(groupId).as('group_id'), 'd.contact_id']))
            .onConflict((oc) => oc.columns(['group_id', 'contact_id']).doNothing())
            .returning('contact_id')
            .execute();
          return { groupId, added: added.length, alreadyMembers: Number(n) - added.length };
        });
      },
    }),
  ];
}
