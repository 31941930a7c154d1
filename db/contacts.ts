/** Contact changes shared by the API and the recording activities. */
import type { Transaction } from 'kysely';
import type { Database } from './schema';

/** A corrected address goes back into the groups a hard bounce took it out of (those that still exist). */
export async function restoreRemovedGroups(trx: Transaction<Database>, contactId: string): Promise<void> {
  await trx
    .insertInto('group_members')
    .columns(['group_id', 'contact_id'])
    .expression((eb) =>
      eb
        .selectFrom('removed_group_members')
        .select(['group_id', 'contact_id'])
        .where('contact_id', '=', contactId),
    )
    .onConflict((oc) => oc.columns(['group_id', 'contact_id']).doNothing())
    .execute();
  await trx.deleteFrom('removed_group_members').where('contact_id', '=', contactId).execute();
}
