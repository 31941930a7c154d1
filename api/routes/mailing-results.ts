/**
 * What a sent mailing did: the delivery graph (from the counters), the recipients behind each
 * number, and its technical problems gathered into a group.
 */
import { z } from 'zod';
import type { Db } from '../../db/connection';
import * as counters from '../../db/counters';
import * as deliveries from '../../db/deliveries';
import * as groups from '../../db/groups';
import { ApiError } from '../errors';
import { requireGroup, requireMailing } from '../lookups';
import { pageOf, pageQuery, paginate } from '../pagination';
import { route } from '../route';
import { singleFlight } from '../single-flight';
import { idField, idParam, timestamp } from '../validation';
import { addedSchema, groupName } from './groups';

export const DELIVERY_STATUSES = [
  'delivered',
  'incorrect_address',
  'technical_problem',
  'in_progress',
] as const;
const count = z.number().int();

const statsSchema = z.strictObject({
  total: count,
  delivered: count,
  incorrectAddresses: count,
  technicalProblems: count,
  inProgress: count,
  /** In progress and waiting for the next attempt: part of inProgress. */
  retrying: count,
  /** Complaints about this mailing (feedback loops), and its recipients who unsubscribed because of it. */
  complaints: count,
  unsubscribed: count,
  byReason: z.record(z.string(), count),
});

const recipientSchema = z.strictObject({
  deliveryId: z.string(),
  contactId: z.string(),
  email: z.string(),
  status: z.enum(DELIVERY_STATUSES),
  category: z.string().nullable(),
  reason: z.string().nullable(),
  attempts: count,
  lastReply: z.string().nullable(),
  lastAttemptAt: timestamp.nullable(),
  nextAttemptAt: timestamp.nullable(),
  /** The contact is an incorrect address now: shown greyed. */
  contactIncorrect: z.boolean(),
  workflowId: z.string(),
});

export function mailingResultRoutes(db: Db) {
  // Clients polling the same mailing at once share one query: the answer is as fresh as the one
  // query in flight, and the database sees one read per mailing at a time, not one per request.
  const readStats = singleFlight(
    ({ accountId, id }: { accountId: string; id: string }) => `${accountId}:${id}`,
    ({ accountId, id }) => counters.statistics(db, accountId, id),
  );
  return [
    route({
      method: 'get',
      path: '/v1/mailings/:id/stats',
      tag: 'mailings',
      summary: 'The delivery graph: delivered, incorrect addresses, technical problems, in progress',
      status: 200,
      response: statsSchema,
      errors: [404],
      async handler({ accountId, params }) {
        const stats = await readStats({ accountId, id: idParam(params.id, 'mailing') });
        if (!stats) throw new ApiError('not_found', `No mailing ${params.id}.`);
        const { ended, ...graph } = stats; // ended is for the end check, not the graph
        return graph;
      },
    }),

    route({
      method: 'get',
      path: '/v1/mailings/:id/recipients',
      tag: 'mailings',
      summary: 'Recipients of a mailing by status; contactIncorrect marks the greyed ones',
      query: z.strictObject({ status: z.enum(DELIVERY_STATUSES).optional(), ...pageQuery }),
      status: 200,
      response: pageOf(recipientSchema),
      errors: [404],
      async handler({ accountId, params, query }) {
        const id = idParam(params.id, 'mailing');
        await requireMailing(db, accountId, id);
        return paginate(
          query,
          (page) => deliveries.recipients(db, id, { status: query.status }, page),
          (d): z.infer<typeof recipientSchema> => ({
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
      summary:
        'Put every still-active contact whose delivery ended as a technical problem into a group ' +
        '(newGroup: the account’s group of that name, created when there is none)',
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
      response: addedSchema.extend({ groupId: z.string() }),
      errors: [404],
      async handler({ accountId, params, body }) {
        const id = idParam(params.id, 'mailing');
        await requireMailing(db, accountId, id);
        if (body.groupId !== undefined) await requireGroup(db, accountId, body.groupId);
        return db.transaction().execute(async (trx) => {
          const groupId =
            body.groupId ?? (await groups.findOrCreateByName(trx, accountId, body.newGroup!.name));
          const eligible = deliveries.technicalProblemContacts(trx, id);
          const { n } = await eligible
            .clearSelect()
            .select((eb) => eb.fn.countAll<string>().as('n'))
            .executeTakeFirstOrThrow();
          const added = await groups.addMembers(trx, groupId, eligible);
          return { groupId, added, alreadyMembers: Number(n) - added };
        });
      },
    }),
  ];
}
