/** Contacts: create, import, list ("Incorrect addresses" is `status=incorrect`), get, correct. */
import express from 'express';
import { sql } from 'kysely';
import { z } from 'zod';
import { checkEmail } from '../../common/email';
import type { Db } from '../../db/connection';
import { restoreRemovedGroups } from '../../db/contacts';
import { ApiError } from '../errors';
import { decodeCursor, page, pageQuery } from '../pagination';
import { route } from '../route';
import { idField, idParam, text } from '../validation';

/** An email field: checked and normalised (trimmed, domain lower-cased) by the one syntax check. */
export const emailField = z
  .string()
  .max(320)
  .transform((v, ctx) => {
    const checked = checkEmail(v);
    if (checked.ok) return checked.email;
    ctx.addIssue({ code: 'custom', message: checked.message });
    return z.NEVER;
  });
const name = z.union([text(200), z.null()]).optional();
const contactBody = z.strictObject({ email: emailField, firstName: name, lastName: name });

export const MAX_IMPORT = 100_000;
const IMPORT_BATCH = 1_000;

export function contactsQuery(db: Db, accountId: string) {
  return db
    .selectFrom('contacts as c')
    .select([
      'c.id',
      'c.email',
      'c.first_name',
      'c.last_name',
      'c.status',
      'c.incorrect_reason',
      'c.incorrect_since',
      'c.created_at',
      sql<string[]>`coalesce((select array_agg(gm.group_id::text order by gm.group_id)
        from group_members gm where gm.contact_id = c.id), '{}')`.as('group_ids'),
    ])
    .where('c.account_id', '=', accountId);
}
type ContactRow = Awaited<ReturnType<ReturnType<typeof contactsQuery>['executeTakeFirstOrThrow']>>;

export function contactJson(c: ContactRow) {
  return {
    id: c.id,
    email: c.email,
    firstName: c.first_name,
    lastName: c.last_name,
    status: c.status,
    incorrectReason: c.incorrect_reason,
    incorrectSince: c.incorrect_since?.toISOString() ?? null,
    groupIds: c.group_ids,
    createdAt: c.created_at.toISOString(),
  };
}

async function getContact(db: Db, accountId: string, id: string) {
  const row = await contactsQuery(db, accountId).where('c.id', '=', id).executeTakeFirst();
  if (!row) throw new ApiError('not_found', `No contact ${id}.`);
  return contactJson(row);
}

const isUniqueViolation = (err: unknown) => (err as { code?: string }).code === '23505';

export function contactRoutes(db: Db) {
  return [
    route({
      method: 'post',
      path: '/v1/contacts',
      tag: 'contacts',
      summary: 'Create a contact',
      body: contactBody,
      status: 201,
      errors: [409],
      async handler({ accountId, body }) {
        try {
          const { id } = await db
            .insertInto('contacts')
            .values({
              account_id: accountId,
              email: body.email,
              first_name: body.firstName ?? null,
              last_name: body.lastName ?? null,
            })
            .returning('id')
            .executeTakeFirstOrThrow();
          return getContact(db, accountId, id);
        } catch (err) {
          if (isUniqueViolation(err))
            throw new ApiError('conflict', `A contact with email ${body.email} already exists.`, [
              { field: 'email', message: 'already exists in this account' },
            ]);
          throw err;
        }
      },
    }),

    route({
      method: 'post',
      path: '/v1/contacts/import',
      tag: 'contacts',
      summary: `Import up to ${MAX_IMPORT} contacts; invalid rows are reported, the others created`,
      // 100,000 rows with names are ~10 MB of JSON; the default limit is for everything else.
      bodyParser: express.json({ limit: '32mb' }),
      body: z.strictObject({ contacts: z.array(z.unknown()).max(MAX_IMPORT), groupId: idField.optional() }),
      status: 200,
      errors: [404],
      async handler({ accountId, body }) {
        if (body.groupId !== undefined) await requireGroup(db, accountId, body.groupId);
        const invalid: Array<{ index: number; email: string | null; message: string }> = [];
        const valid = new Map<string, { first_name: string | null; last_name: string | null }>();
        body.contacts.forEach((row, index) => {
          const parsed = contactBody.safeParse(row);
          if (parsed.success) {
            if (!valid.has(parsed.data.email))
              valid.set(parsed.data.email, {
                first_name: parsed.data.firstName ?? null,
                last_name: parsed.data.lastName ?? null,
              });
            return;
          }
          const issue = parsed.error.issues[0]!;
          const field = issue.code === 'unrecognized_keys' ? issue.keys.join(', ') : issue.path.join('.');
          const email = (row as { email?: unknown } | null)?.email;
          invalid.push({
            index,
            email: typeof email === 'string' ? email : null,
            message:
              issue.code === 'unrecognized_keys'
                ? `unknown field ${field}`
                : `${field || 'row'}: ${issue.message}`,
          });
        });

        let created = 0;
        const rows = [...valid.entries()];
        for (let i = 0; i < rows.length; i += IMPORT_BATCH) {
          const batch = rows.slice(i, i + IMPORT_BATCH);
          created += await db.transaction().execute(async (trx) => {
            const inserted = await trx
              .insertInto('contacts')
              .values(batch.map(([email, names]) => ({ account_id: accountId, email, ...names })))
              .onConflict((oc) => oc.columns(['account_id', 'email']).doNothing())
              .returning('id')
              .execute();
            if (body.groupId !== undefined) {
              // Existing contacts join the group too, unless they are incorrect addresses.
              await trx
                .insertInto('group_members')
                .columns(['group_id', 'contact_id'])
                .expression((eb) =>
                  eb
                    .selectFrom('contacts')
                    .select([eb.val(body.groupId!).as('group_id'), 'id'])
                    .where('account_id', '=', accountId)
                    .where('status', '=', 'active')
                    .where('email', '=', sql<string>`any(${batch.map(([email]) => email)}::text[])`),
                )
                .onConflict((oc) => oc.columns(['group_id', 'contact_id']).doNothing())
                .execute();
            }
            return inserted.length;
          });
        }
        return { created, existing: body.contacts.length - invalid.length - created, invalid };
      },
    }),

    route({
      method: 'get',
      path: '/v1/contacts',
      tag: 'contacts',
      summary: 'List contacts; status=incorrect is the "Incorrect addresses" section',
      query: z.strictObject({ status: z.enum(['active', 'incorrect']).optional(), ...pageQuery }),
      status: 200,
      async handler({ accountId, query }) {
        let q = contactsQuery(db, accountId)
          .orderBy('c.id')
          .limit(query.limit + 1);
        if (query.status) q = q.where('c.status', '=', query.status);
        const after = decodeCursor(query.cursor);
        if (after) q = q.where('c.id', '>', after);
        return page(await q.execute(), query.limit, (c) => c.id, contactJson);
      },
    }),

    route({
      method: 'get',
      path: '/v1/contacts/:id',
      tag: 'contacts',
      summary: 'One contact',
      status: 200,
      errors: [404],
      handler: ({ accountId, params }) => getContact(db, accountId, idParam(params.id, 'contact')),
    }),

    route({
      method: 'patch',
      path: '/v1/contacts/:id',
      tag: 'contacts',
      summary:
        'Change a contact; a new email for an incorrect contact makes it active and restores its groups',
      body: z
        .strictObject({ email: emailField.optional(), firstName: name, lastName: name })
        .refine((b) => Object.keys(b).length > 0, 'names nothing to change'),
      status: 200,
      errors: [404, 409],
      async handler({ accountId, params, body }) {
        const id = idParam(params.id, 'contact');
        await db.transaction().execute(async (trx) => {
          const before = await trx
            .selectFrom('contacts')
            .select(['email', 'status'])
            .where('id', '=', id)
            .where('account_id', '=', accountId)
            .forUpdate()
            .executeTakeFirst();
          if (!before) throw new ApiError('not_found', `No contact ${id}.`);
          const corrected = body.email !== undefined && body.email !== before.email;
          try {
            await trx
              .updateTable('contacts')
              .set({
                ...(body.email !== undefined && { email: body.email }),
                ...(body.firstName !== undefined && { first_name: body.firstName }),
                ...(body.lastName !== undefined && { last_name: body.lastName }),
                ...(corrected &&
                  before.status === 'incorrect' && {
                    status: 'active' as const,
                    incorrect_reason: null,
                    incorrect_since: null,
                  }),
                updated_at: sql<Date>`now()`,
              })
              .where('id', '=', id)
              .execute();
          } catch (err) {
            if (isUniqueViolation(err))
              throw new ApiError('conflict', `A contact with email ${body.email} already exists.`, [
                { field: 'email', message: 'already exists in this account' },
              ]);
            throw err;
          }
          if (corrected && before.status === 'incorrect') await restoreRemovedGroups(trx, id);
        });
        return getContact(db, accountId, id);
      },
    }),
  ];
}

export async function requireGroup(db: Db, accountId: string, groupId: string): Promise<void> {
  const g = await db
    .selectFrom('groups')
    .select('id')
    .where('id', '=', groupId)
    .where('account_id', '=', accountId)
    .executeTakeFirst();
  if (!g)
    throw new ApiError('not_found', `No group ${groupId}.`, [{ field: 'groupId', message: 'not found' }]);
}
