/**
 * Names that cross process boundaries (worker, API, backend services, Temporal UI). Changing one of
 * these breaks running deliveries or saved UI queries: treat them as a public contract.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const DEFAULT_TASK_QUEUE = 'deliveries';

/** Workflow types: the names of the functions exported by workflows/index.ts. */
export const WORKFLOW_TYPES = { delivery: 'delivery', mailing: 'mailing', lateReport: 'lateReport' } as const;

/** Custom search attributes of the ops view (docs/operations.md), registered at start. */
export const searchAttributes = {
  RecipientEmail: defineSearchAttributeKey('RecipientEmail', SearchAttributeType.KEYWORD),
  RecipientDomain: defineSearchAttributeKey('RecipientDomain', SearchAttributeType.KEYWORD),
  MailingId: defineSearchAttributeKey('MailingId', SearchAttributeType.KEYWORD),
  DeliveryStatus: defineSearchAttributeKey('DeliveryStatus', SearchAttributeType.KEYWORD),
  BounceCategory: defineSearchAttributeKey('BounceCategory', SearchAttributeType.KEYWORD),
  BounceReason: defineSearchAttributeKey('BounceReason', SearchAttributeType.KEYWORD),
  DeliveryAttempts: defineSearchAttributeKey('DeliveryAttempts', SearchAttributeType.INT),
} as const;

/** `Name=Type` pairs as the Temporal CLI and `temporal operator search-attribute create` take them. */
export function searchAttributeDefinitions(): string[] {
  return Object.values(searchAttributes).map(
    (key) => `${key.name}=${key.type === SearchAttributeType.INT ? 'Int' : 'Keyword'}`,
  );
}
