/** The contact import: up to 100,000 rows a call, the invalid ones reported by index. */
import type { Request, RequestHandler } from 'express';
import { z } from 'zod';
import type { Db } from '../../db/connection';
import { ApiError } from '../errors';
import * as contacts from '../../db/contacts';
import { requireGroup } from '../lookups';
import { jsonBody, route } from '../route';
import { idField, inWords } from '../validation';
import { forEachYielding } from '../yielding';
import { contactBody } from './contacts';

export const MAX_IMPORT = 100_000;
const IMPORT_BATCH = 1_000;

/**
 * Each row checked on its own: the valid ones (first of each email) and why the others are not.
 * 100,000 rows take seconds of CPU: the loop yields every few milliseconds so /health still answers.
 */
async function sortImport(rows: unknown[]) {
  const invalid: Array<{ index: number; email: string | null; message: string }> = [];
  const valid = new Map<string, contacts.NewContact>();
  await forEachYielding(rows, (row, index) => {
    const parsed = contactBody.safeParse(row, { error: inWords });
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

/** Imports this process reads or writes at once (each account one at a time). */
const IMPORTS_AT_ONCE = 2;

/**
 * A 32 MB body of tiny rows parses into hundreds of MB of objects, held until the import is done:
 * a few at once could run the API out of memory. So an account has one import at a time (a second
 * one gets a 429 until the first is done), and the process at most IMPORTS_AT_ONCE (503). Checked
 * before the body is read: a refused import costs nothing. A slot is held until the import's work
 * ends, not until its client hangs up: hanging up and sending again is no way around the bound.
 */
function importSlots() {
  const running = new Set<string>();
  /** Requests holding a slot: `working` once their handler runs (it frees the slot itself then). */
  const held = new WeakMap<Request, { accountId: string; working: boolean }>();
  const gate: RequestHandler = (req, res, next) => {
    const accountId = res.locals.accountId as string;
    if (running.has(accountId))
      return next(
        new ApiError(
          'rate_limited',
          'This account has an import running: send the next one when that one is done.',
          [{ message: 'one import at a time per account', retryAfterSeconds: 5 }],
          { retryAfterSeconds: 5 },
        ),
      );
    if (running.size >= IMPORTS_AT_ONCE)
      return next(
        new ApiError('unavailable', 'Other imports are running right now; try again in a few seconds.'),
      );
    running.add(accountId);
    const slot = { accountId, working: false };
    held.set(req, slot);
    // Refused before its handler ran (a body that is no JSON, too large, cut off): free at once.
    res.once('close', () => slot.working || running.delete(accountId));
    next();
  };
  /** Runs the import's work in the slot its request holds, and frees the slot when the work ends. */
  async function inSlot<T>(req: Request, work: () => Promise<T>): Promise<T> {
    const slot = held.get(req);
    if (slot) slot.working = true;
    try {
      return await work();
    } finally {
      if (slot) running.delete(slot.accountId);
    }
  }
  return { gate, inSlot };
}

export function contactImportRoutes(db: Db) {
  const { gate, inSlot } = importSlots();
  const json = jsonBody('32mb');
  return [
    route({
      method: 'post',
      path: '/v1/contacts/import',
      tag: 'contacts',
      summary: `Import up to ${MAX_IMPORT} contacts; invalid rows are reported, the others created`,
      // 100,000 rows with names are ~10 MB of JSON; the default limit is for everything else.
      bodyParser: (req, res, next) =>
        gate(req, res, (err?: unknown) => (err ? next(err) : json(req, res, next))),
      body: z.strictObject({ contacts: z.array(z.unknown()).max(MAX_IMPORT), groupId: idField.optional() }),
      status: 200,
      response: z.strictObject({
        created: z.number().int(),
        existing: z.number().int(),
        invalid: z.array(
          z.strictObject({ index: z.number().int(), email: z.string().nullable(), message: z.string() }),
        ),
      }),
      errors: [404, 429, 503],
      handler: ({ accountId, body, req }) =>
        inSlot(req, async () => {
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
        }),
    }),
  ];
}
