/**
 * POST /v1/mailings/:id/send while the workflow start hangs: the API talks to a Temporal address
 * that accepts connections and never answers, so each start waits its whole 5 s deadline. Meanwhile
 * no lock is held on the mailing, a second send is a conflict, and whatever happens to the start
 * (it failed, or it reached Temporal after all) the mailing is sent once or not at all.
 */
import { Connection } from '@temporalio/client';
import { sql } from 'kysely';
import net from 'node:net';
import { type RunningApi, startApi } from '../api/server';
import { mailingWorkflowId } from '../contract/mailing';
import { startMailing } from '../contract/starters';
import * as mailings from '../db/mailings';
import { until } from '../dev/until';
import { type ApiHarness, createApiHarness, type Reply } from './support/api-harness';
import { fingerprint } from './support/fingerprint';
import { expectWorkflowFailure } from './support/temporal';

let h: ApiHarness;
let silent: net.Server;
const sockets = new Set<net.Socket>();
let hanging: Connection;
let hangingApi: RunningApi;
beforeAll(async () => {
  h = await createApiHarness();
  // A "Temporal" that takes the connection and never says a word.
  silent = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const { port } = silent.address() as net.AddressInfo;
  hanging = Connection.lazy({ address: `127.0.0.1:${port}` });
  hangingApi = await startApi(
    { db: h.t.db, temporal: hanging, taskQueue: h.taskQueue, checkResponses: true },
    0,
  );
});
afterAll(async () => {
  await hangingApi?.stop();
  for (const s of sockets) s.destroy();
  await new Promise((resolve) => silent?.close(resolve));
  await hanging?.close().catch(() => undefined);
  await h?.stop();
});

/** A call to the API whose Temporal never answers; Temporal's error it logs is kept quiet. */
async function callHanging(method: string, path: string): Promise<Reply> {
  const res = await fetch(`${hangingApi.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${h.key}` },
  });
  return { status: res.status, body: await res.json() };
}

async function draftMailing(): Promise<{ id: string; email: string }> {
  const email = `m${Date.now()}${Math.round(Math.random() * 1e6)}@ok.test`;
  const group = (await h.call('POST', '/v1/groups', { name: `G ${email}` })).body.id;
  const contact = (await h.call('POST', '/v1/contacts', { email })).body.id;
  await h.call('POST', `/v1/groups/${group}/members`, { contactIds: [contact] });
  const mailing = (
    await h.call('POST', '/v1/mailings', {
      name: 'M',
      fromEmail: 'news@sender.example',
      subject: 'S',
      text: 'T',
      groupIds: [group],
    })
  ).body;
  expect(mailing.status).toBe('draft');
  return { id: mailing.id, email };
}

const mailingRow = (id: string) =>
  h.t.db
    .selectFrom('mailings')
    .select(['status', 'recipients_total', 'sent_at', 'workflow_id'])
    .where('id', '=', id)
    .executeTakeFirstOrThrow();

/** Statements of other sessions of this database waiting on a lock, whose text matches `like`. */
async function waitingOnLock(like: string): Promise<number> {
  const { rows } = await sql<{ n: string }>`
    select count(*) as n from pg_stat_activity
     where datname = current_database() and wait_event_type = 'Lock' and query ilike ${like}`.execute(h.t.db);
  return Number(rows[0]!.n);
}

let quiet: jest.SpyInstance;
beforeEach(() => {
  quiet = jest.spyOn(console, 'error').mockImplementation(() => {});
});
afterEach(() => {
  quiet.mockRestore();
});

test('while the start waits on Temporal, no lock is held, a second send is a conflict; then 503, a draft again, and a late start sends nothing', async () => {
  const { id, email } = await draftMailing();
  const before = await fingerprint(h.t.db);
  const started = Date.now();
  const sending = callHanging('POST', `/v1/mailings/${id}/send`);

  // The mark is committed before Temporal is asked: others see `sending` at once.
  await until(async () => (await mailingRow(id)).status === 'sending', 'the mailing marked sending', {
    everyMs: 20,
    timeoutMs: 4_000,
  });
  // Another transaction changes the row while the start is pending: no lock stands in its way.
  const t0 = performance.now();
  await h.t.db.transaction().execute(async (trx) => {
    await sql`set local lock_timeout = '1s'`.execute(trx);
    await trx.updateTable('mailings').set({ name: 'M' }).where('id', '=', id).execute();
  });
  expect(performance.now() - t0).toBeLessThan(1_000);
  // A second send meanwhile, through either API, finds it sending.
  expect((await h.call('POST', `/v1/mailings/${id}/send`)).status).toBe(409);
  expect((await callHanging('POST', `/v1/mailings/${id}/send`)).status).toBe(409);
  expect(Date.now() - started).toBeLessThan(4_500); // all of that while the start was pending

  const res = await sending;
  expect(res.status).toBe(503);
  expect(res.body.error.message).toBe(
    'Temporal did not accept the mailing in time: nothing was sent and the mailing is a draft again. Try again shortly.',
  );
  expect(await mailingRow(id)).toEqual({
    status: 'draft',
    recipients_total: null,
    sent_at: null,
    workflow_id: null,
  });
  expect(await fingerprint(h.t.db)).toEqual(before);

  // Had the start reached Temporal after all, its workflow finds a draft and ends without sending.
  expectWorkflowFailure(mailingWorkflowId(id));
  const late = await startMailing(h.env.client, { mailingId: id }, { taskQueue: h.taskQueue });
  await expect(late.result()).rejects.toMatchObject({
    cause: { cause: { type: 'MailingNotSending' } },
  });
  expect(await fingerprint(h.t.db)).toEqual(before);
  expect(h.lab.received(email)).toBe(0);

  // And the draft can be sent again, once.
  expect((await h.call('POST', `/v1/mailings/${id}/send`)).status).toBe(202);
  await h.env.client.workflow.getHandle(mailingWorkflowId(id)).result();
  expect(await mailingRow(id)).toMatchObject({ status: 'done', recipients_total: 1 });
  expect(h.lab.received(email)).toBe(1);
});

test('when the start failed for the API but its workflow had taken the recipients, then the send answers 202 and the mailing is sent once', async () => {
  const { id, email } = await draftMailing();
  const sending = callHanging('POST', `/v1/mailings/${id}/send`);
  await until(async () => (await mailingRow(id)).status === 'sending', 'the mailing marked sending', {
    everyMs: 20,
    timeoutMs: 4_000,
  });
  // The same workflow id started from elsewhere (as a start whose answer was lost would be). This
  // test holds the row while the workflow's first step and then the API's undo both queue for it, in
  // that order, so that the outcome does not depend on how fast this machine is.
  await h.t.db.transaction().execute(async (trx) => {
    await trx.selectFrom('mailings').select('id').where('id', '=', id).forUpdate().execute();
    await startMailing(h.env.client, { mailingId: id }, { taskQueue: h.taskQueue });
    await until(async () => (await waitingOnLock('%for update%')) > 0, 'the snapshot waiting', {
      everyMs: 20,
    });
    await until(
      async () => (await waitingOnLock('update "mailings" set "status"%')) > 0,
      'the undo waiting',
      {
        everyMs: 50,
        timeoutMs: 10_000,
      },
    );
  });
  const res = await sending;
  expect(res).toEqual({ status: 202, body: { id, status: 'sending' } });
  await h.env.client.workflow.getHandle(mailingWorkflowId(id)).result();
  expect(await mailingRow(id)).toMatchObject({ status: 'done', recipients_total: 1 });
  expect(h.lab.received(email)).toBe(1);
});

test('when a start was lost with the database (the mailing left sending, no recipients taken), then a send a minute later takes it again, and the mailing is sent once', async () => {
  const { id, email } = await draftMailing();
  // What a send leaves when its start fails and the database is down for its undo: `sending`, its
  // workflow id, no recipients, and no workflow.
  const leftSending = (ago: string) =>
    sql`update mailings set status = 'sending', workflow_id = ${mailingWorkflowId(id)},
               sent_at = now() - ${ago}::interval where id = ${id}`.execute(h.t.db);

  // Within the start's time, or soon after: that send may still be starting it, a conflict that
  // says when to try again.
  await leftSending('10 seconds');
  const early = await h.call('POST', `/v1/mailings/${id}/send`);
  expect(early.status).toBe(409);
  expect(early.body.error.message).toMatch(
    /is being sent by another request. If it has not started in (4\d|50) s, send it again/,
  );

  await leftSending('2 minutes');
  const before = (await mailingRow(id)).sent_at!;
  expect(await h.call('POST', `/v1/mailings/${id}/send`)).toEqual({
    status: 202,
    body: { id, status: 'sending' },
  });
  expect((await mailingRow(id)).sent_at!.getTime()).toBeGreaterThan(before.getTime()); // a new attempt
  // The lost send's undo, had it come only now, is not this one's: the mailing stays sending.
  const { account_id } = await h.t.db
    .selectFrom('mailings')
    .select('account_id')
    .where('id', '=', id)
    .executeTakeFirstOrThrow();
  expect(await mailings.backToDraft(h.t.db, account_id, id, before)).toBe(false);
  // Sent again meanwhile: the workflow is running or done, its recipients taken: a conflict.
  expect((await h.call('POST', `/v1/mailings/${id}/send`)).status).toBe(409);
  await h.env.client.workflow.getHandle(mailingWorkflowId(id)).result();
  expect(await mailingRow(id)).toMatchObject({ status: 'done', recipients_total: 1 });
  expect(h.lab.received(email)).toBe(1);

  // A mailing that took its recipients is never taken again, however old its send.
  await sql`update mailings set status = 'sending', sent_at = now() - interval '1 day' where id = ${id}`.execute(
    h.t.db,
  );
  expect((await h.call('POST', `/v1/mailings/${id}/send`)).status).toBe(409);
});
