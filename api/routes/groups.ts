/** Groups and their members. An incorrect address cannot join a group until it is corrected. */
import { z } from 'zod';
import type { Db } from '../../db/connection';
import * as contacts from '../../db/contacts';
import * as groups from '../../db/groups';
import type { GroupRow } from '../../db/groups';
import { ApiError } from '../errors';
import { requireGroup } from '../lookups';
import { pageOf, pageQuery, paginate } from '../pagination';
import { route } from '../route';
import { idField, idParam, text, timestamp } from '../validation';
import { contactJson, contactSchema } from './contacts';

export const groupName = text(200).pipe(z.string().min(1, 'is empty'));

const groupSchema = z.strictObject({
  id: z.string(),
  name: z.string(),
  memberCount: z.number().int(),
  createdAt: timestamp,
});

/** What adding contacts to a group did: the technical-problems route answers it too. */
export const addedSchema = z.strictObject({ added: z.number().int(), alreadyMembers: z.number().int() });

const groupJson = (g: GroupRow): z.infer<typeof groupSchema> => ({
  id: g.id,
  name: g.name,
  memberCount: Number(g.member_count),
  createdAt: g.created_at.toISOString(),
});

async function getGroup(db: Db, accountId: string, id: string) {
  const row = await groups.get(db, accountId, id);
  if (!row) throw new ApiError('not_found', `No group ${id}.`);
  return groupJson(row);
}

/** Details that name each offending entry of `contactIds` by its (first) index. */
function detailsFor(contactIds: string[], ids: string[], message: (id: string) => string) {
  // One pass, not an indexOf per id: 10,000 unknown ids would be 10^8 comparisons on the event loop.
  const index = new Map<string, number>();
  contactIds.forEach((id, i) => index.has(id) || index.set(id, i));
  return ids.map((id) => ({ field: `contactIds.${index.get(id)}`, message: message(id) }));
}

export function groupRoutes(db: Db) {
  return [
    route({
      method: 'post',
      path: '/v1/groups',
      tag: 'groups',
      summary: 'Create a group',
      body: z.strictObject({ name: groupName }),
      status: 201,
      response: groupSchema,
      handler: async ({ accountId, body }) =>
        getGroup(db, accountId, await groups.create(db, accountId, body.name)),
    }),
    route({
      method: 'get',
      path: '/v1/groups',
      tag: 'groups',
      summary: 'List groups',
      query: z.strictObject(pageQuery),
      status: 200,
      response: pageOf(groupSchema),
      handler: ({ accountId, query }) =>
        paginate(query, (page) => groups.list(db, accountId, page), groupJson),
    }),
    route({
      method: 'get',
      path: '/v1/groups/:id',
      tag: 'groups',
      summary: 'One group with its member count',
      status: 200,
      response: groupSchema,
      errors: [404],
      handler: ({ accountId, params }) => getGroup(db, accountId, idParam(params.id, 'group')),
    }),
    route({
      method: 'get',
      path: '/v1/groups/:id/members',
      tag: 'groups',
      summary: 'The contacts of a group',
      query: z.strictObject(pageQuery),
      status: 200,
      response: pageOf(contactSchema),
      errors: [404],
      async handler({ accountId, params, query }) {
        const groupId = idParam(params.id, 'group');
        await requireGroup(db, accountId, groupId);
        return paginate(query, (page) => contacts.list(db, accountId, { groupId }, page), contactJson);
      },
    }),
    route({
      method: 'post',
      path: '/v1/groups/:id/members',
      tag: 'groups',
      summary: 'Add contacts to a group; an incorrect address → 422 and nothing is added',
      body: z.strictObject({ contactIds: z.array(idField).min(1).max(10_000) }),
      status: 200,
      response: addedSchema,
      errors: [404, 422],
      async handler({ accountId, params, body }) {
        const groupId = idParam(params.id, 'group');
        await requireGroup(db, accountId, groupId);
        const ids = [...new Set(body.contactIds)];
        return db.transaction().execute(async (trx) => {
          const found = new Map((await contacts.statuses(trx, accountId, ids)).map((c) => [c.id, c.status]));
          const missing = ids.filter((id) => !found.has(id));
          if (missing.length)
            throw new ApiError(
              'not_found',
              `No contact ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', …' : ''}.`,
              detailsFor(body.contactIds, missing, (id) => `no contact ${id}`),
            );
          const incorrect = ids.filter((id) => found.get(id) === 'incorrect');
          if (incorrect.length)
            throw new ApiError(
              'unprocessable',
              'Incorrect addresses cannot join a group until they are corrected; nothing was added.',
              detailsFor(body.contactIds, incorrect, (id) => `contact ${id} is an incorrect address`),
            );
          const added = await groups.addMembers(trx, groupId, ids);
          return { added, alreadyMembers: ids.length - added };
        });
      },
    }),
    route({
      method: 'delete',
      path: '/v1/groups/:id/members/:contactId',
      tag: 'groups',
      summary: 'Remove a contact from a group',
      status: 204,
      errors: [404],
      async handler({ accountId, params }) {
        const groupId = idParam(params.id, 'group');
        const contactId = idParam(params.contactId, 'contact');
        await requireGroup(db, accountId, groupId);
        if (!(await groups.removeMember(db, groupId, contactId)))
          throw new ApiError('not_found', `Contact ${contactId} is not a member of group ${groupId}.`);
      },
    }),
  ];
}
