/** One delivery with every attempt, and where to see it in the Temporal UI. */
import { z } from 'zod';
import type { Db } from '../../db/connection';
import * as deliveries from '../../db/deliveries';
import { ApiError } from '../errors';
import { route } from '../route';
import { idParam, timestamp } from '../validation';
import { DELIVERY_STATUSES } from './mailing-results';

export type DeliveryDeps = { db: Db; temporalUiUrl: string; namespace: string };

const attemptSchema = z.strictObject({
  n: z.number().int(),
  at: timestamp,
  reply: z.string().nullable(),
  code: z.number().int().nullable(),
  enhancedCode: z.string().nullable(),
  category: z.string(),
  reason: z.string(),
  mx: z.string().nullable(),
  phase: z.string().nullable(),
  durationMs: z.number().int().nullable(),
  /** A report that came back after a 250 (a DSN, a complaint): not an attempt of ours. */
  late: z.literal(true).optional(),
});

const deliverySchema = z.strictObject({
  id: z.string(),
  mailingId: z.string(),
  contactId: z.string(),
  email: z.string(),
  status: z.enum(DELIVERY_STATUSES),
  category: z.string().nullable(),
  reason: z.string().nullable(),
  nextAttemptAt: timestamp.nullable(),
  attempts: z.array(attemptSchema),
  workflowId: z.string(),
  temporalUiUrl: z.url(),
});

export function deliveryRoutes({ db, temporalUiUrl, namespace }: DeliveryDeps) {
  const ui = `${temporalUiUrl.replace(/\/$/, '')}/namespaces/${encodeURIComponent(namespace)}/workflows/`;
  return [
    route({
      method: 'get',
      path: '/v1/deliveries/:id',
      tag: 'deliveries',
      summary: 'One delivery with all its attempts and a link to its workflow in the Temporal UI',
      status: 200,
      response: deliverySchema,
      errors: [404],
      async handler({ accountId, params }): Promise<z.infer<typeof deliverySchema>> {
        const id = idParam(params.id, 'delivery');
        const d = await deliveries.withAttempts(db, accountId, id);
        if (!d) throw new ApiError('not_found', `No delivery ${id}.`);
        return {
          id: d.id,
          mailingId: d.mailing_id,
          contactId: d.contact_id,
          email: d.email,
          status: d.status,
          category: d.category,
          reason: d.reason,
          nextAttemptAt: d.next_attempt_at?.toISOString() ?? null,
          attempts: d.attempts.map((a) => ({
            n: a.n,
            at: a.at.toISOString(),
            reply: a.reply,
            code: a.code,
            enhancedCode: a.enhanced_code,
            category: a.category,
            reason: a.reason,
            mx: a.mx_host,
            phase: a.smtp_phase,
            durationMs: a.duration_ms,
            ...(a.late && { late: true as const }),
          })),
          workflowId: d.workflow_id,
          temporalUiUrl: ui + encodeURIComponent(d.workflow_id),
        };
      },
    }),
  ];
}
