/** Contacts: create, list ("Incorrect addresses" is `status=incorrect`), get, correct (the import: contact-import.ts). */
import { z } from 'zod';
import { checkEmail, emailKey } from '../../domain/address';
import { type Db, isUniqueViolation } from '../../db/connection';
import * as contacts from '../../db/contacts';
import type { ContactRow } from '../../db/contacts';
import { ApiError } from '../errors';
import { pageOf, pageQuery, paginate } from '../pagination';
import { route } from '../route';
import { idParam, refuseUnstorable, text, timestamp } from '../validation';

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
export const contactBody = z.strictObject({ email: emailField, firstName: name, lastName: name });

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
      method: 'get',
      path: '/v1/contacts',
      tag: 'contacts',
      summary:
        'List contacts; status=incorrect is the "Incorrect addresses" section; search finds a part of ' +
        'the address or of a name, in any letter case',
      query: z.strictObject({
        status: z.enum(['active', 'incorrect', 'unsubscribed']).optional(),
        search: text(200).pipe(z.string().min(1, 'must not be empty')).optional(),
        ...pageQuery,
      }),
      status: 200,
      response: pageOf(contactSchema),
      handler: ({ accountId, query }) =>
        paginate(
          query,
          (page) => contacts.list(db, accountId, { status: query.status, search: query.search }, page),
          contactJson,
        ),
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
          // The mailbox that bounced again, in another spelling (letter case) or asked to be active:
          // no correction, and nothing changed (the page would show a correction that is none).
          if (
            before.status === 'incorrect' &&
            body.email !== undefined &&
            emailKey(body.email) === before.email_key &&
            (body.status === 'active' || body.email !== before.email)
          )
            throw new ApiError(
              'unprocessable',
              'This is the address that bounced: an incorrect address becomes active with a different email.',
              [{ field: 'email', message: 'is the incorrect address itself, not a correction' }],
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
