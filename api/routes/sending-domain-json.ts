/**
 * A sending domain as the API answers it: its state and the DNS records to publish (with what the
 * last lookup found, in the answer of a verification). Never its private key.
 */
import { z } from 'zod';
import type { SendingDomainRow } from '../../db/sending-domains';
import { REQUIRED, type RecordCheck } from '../../sending-domains/records';
import { recordsOf } from '../../sending-domains/service';
import { timestamp } from '../validation';

const recordSchema = z.strictObject({
  type: z.literal('TXT'),
  name: z.string(),
  value: z.string(),
  purpose: z.enum(['verification', 'dkim', 'spf', 'dmarc']),
  /** Verification needs it; SPF and DMARC are advice. */
  required: z.boolean(),
  /** What the last lookup found (only in the answer of a verification). */
  status: z.enum(['ok', 'missing', 'wrong', 'unknown']).optional(),
  problem: z.string().nullable().optional(),
});

export const sendingDomainSchema = z.strictObject({
  id: z.string(),
  domain: z.string(),
  verified: z.boolean(),
  verifiedAt: timestamp.nullable(),
  lastCheckedAt: timestamp.nullable(),
  dnsRecords: z.array(recordSchema),
  createdAt: timestamp,
});
type SendingDomainJson = z.infer<typeof sendingDomainSchema>;

export function domainJson(
  row: SendingDomainRow,
  spfHost: string,
  checks?: RecordCheck[],
): SendingDomainJson {
  return {
    id: row.id,
    domain: row.domain,
    verified: row.verified_at !== null,
    verifiedAt: row.verified_at?.toISOString() ?? null,
    lastCheckedAt: row.checked_at?.toISOString() ?? null,
    dnsRecords: checks
      ? checks.map((c) => ({ ...c }))
      : recordsOf(row, spfHost).map((r) => ({ ...r, required: REQUIRED.has(r.purpose) })),
    createdAt: row.created_at.toISOString(),
  };
}
