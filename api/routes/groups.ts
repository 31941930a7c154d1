/** Groups and their members. An incorrect address cannot join a group until it is corrected. */
import { sql } from 'kysely';
import { z } from 'zod';
import type { Db } from '../../db/connection';
import { ApiError } from '../errors';
import { decodeCursor, page, pageQuery } from '../pagination';
import { route } from '../route';
import { idField, idParam, text } from '../validation';
import { contactJson, contactsQuery, requireGroup } from './contacts';

function groupsQuery(db: Db, accountId: string) {
  return db
    .selectFrom('groups as g')
    .select([
      'g.id',
      'g.name',
      'g.created_at',
      sql<string>`(select count(*) from group_members gm where gm.group_id = g.id)`.as('member_count'),
    ])
    .where('g.account_id', '=', accountId);
}
type GroupRow = Awaited<ReturnType<ReturnType<typeof groupsQuery>['executeTakeFirstOrThrow']>>;

const groupJson = (g: GroupRow) => ({
  id: g.id,
  name: g.name,
  memberCount: Number(g.member_count),
  createdAt: g.created_at.toISOString(),
});

export const groupName = text(200).pipe(z.string().min(1, 'is empty'));

/** Creates a group; the technical-problems route uses it for `newGroup`. */
export async function createGroup(db: Db, accountId: string, name: string): Promise<string> {
  const { id } = await db
    .insertInto('groups')
    .values({ account_id: accountId, name })
    .returning('id')
    .executeTakeFirstOrThrow();
  return id;
}

export async function getGroup(db: Db, accountId: string, id: string) {
  const row = await groupsQuery(db, accountId).where('g.id', '=', id).executeTakeFirst();
  if (!row) throw new ApiError('not_found', `No group ${id}.`);
  return groupJson(row);
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
      async handler({ accountId, body }) {
        return getGroup(db, accountId, await createGroup(db, accountId, body.name));
      },
    }),
    route({
      method: 'get',
      path: '/v1/groups',
      tag: 'groups',
      summary: 'List groups',
      query: z.strictObject(pageQuery),
      status: 200,
      async handler({ accountId, query }) {
        let q = groupsQuery(db, accountId)
          .orderBy('g.id')
          .limit(query.limit + 1);
        const after = decodeCursor(query.cursor);
        if (after) q = q.where('g.id', '>', after);
        return page(await q.execute(), query.limit, (g) => g.id, groupJson);
      },
    }),
    route({
      method: 'get',
      path: '/v1/groups/:id',
      tag: 'groups',
      summary: 'One group with its member count',
      status: 200,
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
      errors: [404],
      async handler({ accountId, params, query }) {
        const groupId = idParam(params.id, 'group');
        await requireGroup(db, accountId, groupId);
        let q = contactsQuery(db, accountId)
          .where((eb) =>
            eb.exists(
              eb
                .selectFrom('group_members as m')
                .select('m.contact_id')
                .whereRef('m.contact_id', '=', 'c.id')
                .where('m.group_id', '=', groupId),
            ),
          )
          .orderBy('c.id')
          .limit(query.limit + 1);
        const after = decodeCursor(query.cursor);
        if (after) q = q.where('c.id', '>', after);
        return page(await q.execute(), query.limit, (c) => c.id, contactJson);
      },
    }),
    route({
      method: 'post',
      path: '/v1/groups/:id/members',
      tag: 'groups',
      summary: 'Add contacts to a group; an incorrect address → 422 and nothing is added',
      body: z.strictObject({ contactIds: z.array(idField).min(1).max(10_000) }),
      status: 200,
      errors: [404, 422],
      async handler({ accountId, params, body }) {
        const groupId = idParam(params.id, 'group');
        await requireGroup(db, accountId, groupId);
        const ids = [...new Set(body.contactIds)];
        return db.transaction().execute(async (trx) => {
          const found = await trx
            .selectFrom('contacts')
            .select(['id', 'status'])
            .where('account_id', '=', accountId)
            .where('id', 'in', ids)
            .forShare()
            .execute();
          const missing = ids.filter((id) => !found.some((c) => c.id === id));
          if (missing.length)
            throw new ApiError(
              'not_found',
              `No contact ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', …' : ''}.`,
              missing.map((id) => ({
                field: `contactIds[${body.contactIds.indexOf(id)}]`,
                message: `no contact ${id}`,
              })),
            );
          const incorrect = found.filter((c) => c.status === 'incorrect').map((c) => c.id);
          if (incorrect.length)
            throw new ApiError(
              'unprocessable',
              'Incorrect addresses cannot join a group until they are corrected; nothing was added.',
              incorrect.map((id) => ({
                field: `contactIds[${body.contactIds.indexOf(id)}]`,
                message: `contact ${id} is an incorrect address`,
              })),
            );
          const added = await trx
            .insertInto('group_members')
            .values(ids.map((contact_id) => ({ group_id: groupId, contact_id })))
            .onConflict((oc) => oc.columns(['group_id', 'contact_id']).doNothing())
            .returning('contact_id')
            .execute();
          return { added: added.length, alreadyMembers: ids.length - added.length };
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
        const removed = await db
          .deleteFrom('group_members')
          .where('group_id', '=', groupId)
          .where('contact_id', '=', contactId)
          .executeTakeFirst();
        if (removed.numDeletedRows === 0n)
          throw new ApiError('not_found', `Contact ${contactId} is not a member of group ${groupId}.`);
      },
    }),
  ];
}
