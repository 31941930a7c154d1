/** One delivery with every attempt, and where to see it in the Temporal UI. */
import type { Db } from '../../db/connection';
import { ApiError } from '../errors';
import { route } from '../route';
import { idParam } from '../validation';

export type DeliveryDeps = { db: Db; temporalUiUrl: string; namespace: string };

export function deliveryRoutes({ db, temporalUiUrl, namespace }: DeliveryDeps) {
  return [
    route({
      method: 'get',
      path: '/v1/deliveries/:id',
      tag: 'deliveries',
      summary: 'One delivery with all its attempts and a link to its workflow in the Temporal UI',
      status: 200,
      errors: [404],
      async handler({ accountId, params }) {
        const id = idParam(params.id, 'delivery');
        const d = await db
          .selectFrom('deliveries')
          .selectAll()
          .where('id', '=', id)
          .where('account_id', '=', accountId)
          .executeTakeFirst();
        if (!d) throw new ApiError('not_found', `No delivery ${id}.`);
        const attempts = await db
          .selectFrom('delivery_attempts')
          .selectAll()
          .where('delivery_id', '=', id)
          .orderBy('n')
          .execute();
        return {
          id: d.id,
          mailingId: d.mailing_id,
          contactId: d.contact_id,
          email: d.email,
          status: d.status,
          category: d.category,
          reason: d.reason,
          nextAttemptAt: d.next_attempt_at?.toISOString() ?? null,
          attempts: attempts.map((a) => ({
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
          })),
          workflowId: d.workflow_id,
          temporalUiUrl: `${temporalUiUrl.replace(/\/$/, '')}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(d.workflow_id)}`,
        };
      },
    }),
  ];
}
