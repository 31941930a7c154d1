/** Contacts: create, import, list ("Incorrect addresses" is `status=incorrect`), get, correct. */
import express from 'express';
import { z } from 'zod';
import { checkEmail } from '../../domain/address';
import { type Db, isUniqueViolation } from '../../db/connection';
import * as contacts from '../../db/contacts';
import type { ContactRow } from '../../db/contacts';
import { ApiError } from '../errors';
import { pageOf, pageQuery, paginate } from '../pagination';
import { route } from '../route';
import { idField, idParam, refuseUnstorable, text, timestamp } from '../validation';
import { requireGroup } from '../lookups';
import { forEachYielding } from '../yielding';

/**
 * An email field: checked and normalised by the one check (domain/address.ts: local part in NFC as
 * written, ASCII domain; invisible and bidi characters refused). Its key is derived in db/contacts.ts.
 */
export const emailField = z
  .string()
  .max(320)
  .superRefine(refuseUnstorable)
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

export const contactSchema = z.strictObject({
  id: z.string(),
  email: z.string(),
  firstName: z.string().nullable(),
  lastName: z.string().nullable(),
  status: z.enum(['active', 'incorrect', 'unsubscribed']),
  incorrectReason: z.string().nullable(),
  incorrectSince: timestamp.nullable(),
  groupIds: z.array(z.string()),
  createdAt: timestamp,
});

export function contactJson(c: ContactRow): z.infer<typeof contactSchema> {
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
  const row = await contacts.get(db, accountId, id);
  if (!row) throw new ApiError('not_found', `No contact ${id}.`);
  return contactJson(row);
}

const emailTaken = (email: string) =>
  new ApiError('conflict', `A contact with email ${email} already exists.`, [
    { field: 'email', message: 'already exists in this account' },
  ]);

/**
 * Each row checked on its own: the valid ones (first of each email) and why the others are not.
 * 100,000 rows take seconds of CPU: the loop yields every few milliseconds so /health still answers.
 */
async function sortImport(rows: unknown[]) {
  const invalid: Array<{ index: number; email: string | null; message: string }> = [];
  const valid = new Map<string, contacts.NewContact>();
  await forEachYielding(rows, (row, index) => {
    const parsed = contactBody.safeParse(row);
    if (parsed.success) {
      const { email, firstName, lastName } = parsed.data;
      if (!valid.has(email))
        valid.set(email, { email, first_name: firstName ?? null, last_name: lastName ?? null });
      return;
    }
    const issue = parsed.error.issues[0]!;
    const field = issue.code === 'unrecognized_keys' ? issue.keys.join(', ') : issue.path.join('.');
    const email = (row as { email?: unknown } | null)?.email;
    invalid.push({
      index,
      email: typeof email === 'string' ? email : null,
      message:
        issue.code === 'unrecognized_keys' ? `unknown field ${field}` : `${field || 'row'}: ${issue.message}`,
    });
  });
  return { valid: [...valid.values()], invalid };
}

export function contactRoutes(db: Db) {
  return [
    route({
      method: 'post',
      path: '/v1/contacts',
      tag: 'contacts',
      summary: 'Create a contact',
      body: contactBody,
      status: 201,
      response: contactSchema,
      errors: [409],
      async handler({ accountId, body }) {
        const { email, firstName, lastName } = body;
        const id = await contacts.create(db, accountId, {
          email,
          first_name: firstName ?? null,
          last_name: lastName ?? null,
        });
        if (id === undefined) throw emailTaken(email);
        return getContact(db, accountId, id);
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
      response: z.strictObject({
        created: z.number().int(),
        existing: z.number().int(),
        invalid: z.array(
          z.strictObject({ index: z.number().int(), email: z.string().nullable(), message: z.string() }),
        ),
      }),
      errors: [404],
      async handler({ accountId, body }) {
        if (body.groupId !== undefined) await requireGroup(db, accountId, body.groupId);
        const { valid, invalid } = await sortImport(body.contacts);
        let created = 0;
        for (let i = 0; i < valid.length; i += IMPORT_BATCH) {
          const batch = valid.slice(i, i + IMPORT_BATCH);
          created += await db
            .transaction()
            .execute((trx) => contacts.importBatch(trx, accountId, batch, body.groupId));
        }
        return { created, existing: body.contacts.length - invalid.length - created, invalid };
      },
    }),

    route({
      method: 'get',
      path: '/v1/contacts',
      tag: 'contacts',
      summary: 'List contacts; status=incorrect is the "Incorrect addresses" section',
      query: z.strictObject({
        status: z.enum(['active', 'incorrect', 'unsubscribed']).optional(),
        ...pageQuery,
      }),
      status: 200,
      response: pageOf(contactSchema),
      handler: ({ accountId, query }) =>
        paginate(query, (page) => contacts.list(db, accountId, { status: query.status }, page), contactJson),
    }),

    route({
      method: 'get',
      path: '/v1/contacts/:id',
      tag: 'contacts',
      summary: 'One contact',
      status: 200,
      response: contactSchema,
      errors: [404],
      handler: ({ accountId, params }) => getContact(db, accountId, idParam(params.id, 'contact')),
    }),

    route({
      method: 'patch',
      path: '/v1/contacts/:id',
      tag: 'contacts',
      summary:
        'Change a contact; a new email for an incorrect contact makes it active and restores its groups; ' +
        'status "active" takes an unsubscribed contact back',
      body: z
        .strictObject({
          email: emailField.optional(),
          firstName: name,
          lastName: name,
          status: z.literal('active').optional(),
        })
        .refine((b) => Object.keys(b).length > 0, 'names nothing to change'),
      status: 200,
      response: contactSchema,
      errors: [404, 409, 422],
      async handler({ accountId, params, body }) {
        const id = idParam(params.id, 'contact');
        await db.transaction().execute(async (trx) => {
          const before = await contacts.lock(trx, accountId, id);
          if (!before) throw new ApiError('not_found', `No contact ${id}.`);
          if (body.status === 'active' && before.status === 'incorrect' && body.email === undefined)
            throw new ApiError(
              'unprocessable',
              'An incorrect address becomes active when its email is corrected: send the new email.',
              [{ field: 'status', message: 'an incorrect address needs a corrected email' }],
            );
          const change = {
            email: body.email,
            first_name: body.firstName,
            last_name: body.lastName,
            status: body.status,
          };
          await contacts.update(trx, id, before, change).catch((err: unknown) => {
            throw isUniqueViolation(err) ? emailTaken(body.email!) : err;
          });
        });
        return getContact(db, accountId, id);
      },
    }),
  ];
}
