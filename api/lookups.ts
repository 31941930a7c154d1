/** "Is it this account's?" checks shared by routes: a missing row and another account's answer the same 404. */
import type { Db } from '../db/connection';
import * as groups from '../db/groups';
import * as mailings from '../db/mailings';
import { ApiError } from './errors';

export async function requireGroup(db: Db, accountId: string, groupId: string): Promise<void> {
  if (!(await groups.existing(db, accountId, [groupId])).has(groupId))
    throw new ApiError('not_found', `No group ${groupId}.`, [{ field: 'groupId', message: 'not found' }]);
}

export async function requireMailing(db: Db, accountId: string, id: string) {
  const m = await mailings.statusOf(db, accountId, id);
  if (!m) throw new ApiError('not_found', `No mailing ${id}.`);
  return m;
}
