/**
 * Sending domains: an account adds a domain, publishes the DNS records it is given (a verification
 * token, the DKIM public key, suggested SPF and DMARC), and verifies it; only then may its mailings
 * use a From address on it. The private key never leaves the service (sending-domains/keys.ts).
 */
import { z } from 'zod';
import type { Db } from '../../db/connection';
import * as accounts from '../../db/accounts';
import * as sendingDomains from '../../db/sending-domains';
import type { SendingDomainRow } from '../../db/sending-domains';
import { sendingDomainProblem } from '../../sending-domains/domain-name';
import { DnsLookupError, type TxtResolver } from '../../sending-domains/lookup';
import { newDomainKeys, stillHeld, verifyDomain } from '../../sending-domains/service';
import { ApiError } from '../errors';
import { pageOf, pageQuery, paginate } from '../pagination';
import { route } from '../route';
import { idParam, refuseOneLine } from '../validation';
import { domainJson, sendingDomainSchema } from './sending-domain-json';

export type SendingDomainDeps = {
  db: Db;
  /** DKIM_ENCRYPTION_KEY: seals new private keys; unset, adding a domain answers 503. */
  keySecret: string | undefined;
  /** Answers the TXT lookups of verification (DNS_SERVER, or the system's resolvers). */
  resolver: TxtResolver;
  /** EHLO_HOSTNAME: the host named in the suggested SPF record. */
  spfHost: string;
};

// Unstorable text (NUL, controls, line breaks) is malformed input, a 400 like in every field; what is
// a string but no sending domain (uppercase, a public suffix, ...) breaks a rule: 422.
const domainField = z
  .string({ error: 'must be a string' })
  .max(1000, 'is too long')
  .superRefine(refuseOneLine);

/** Each domain costs an RSA key pair to make: a bound, so that adding them cannot be a flood. */
const MAX_DOMAINS = 50;

const accountFull = () =>
  new ApiError(
    'unprocessable',
    `An account has at most ${MAX_DOMAINS} sending domains: remove one it no longer uses first.`,
    [{ field: 'domain', message: `the account has ${MAX_DOMAINS} sending domains already` }],
  );

const alreadyAdded = (domain: string) =>
  new ApiError('conflict', `${domain} is already a sending domain of this account.`, [
    { field: 'domain', message: 'already added' },
  ]);

export function sendingDomainRoutes({ db, keySecret, resolver, spfHost }: SendingDomainDeps) {
  async function requireDomain(accountId: string, rawId: string | undefined): Promise<SendingDomainRow> {
    const id = idParam(rawId, 'sending domain');
    const row = await sendingDomains.get(db, accountId, id);
    if (!row) throw new ApiError('not_found', `No sending domain ${id}.`);
    return row;
  }

  return [
    route({
      method: 'post',
      path: '/v1/sending-domains',
      tag: 'sending domains',
      summary: 'Add a sending domain: answers the DNS records to publish before verifying it',
      body: z.strictObject({ domain: domainField }),
      status: 201,
      response: sendingDomainSchema,
      errors: [404, 409, 422, 503],
      async handler({ accountId, body }) {
        const problem = sendingDomainProblem(body.domain);
        if (problem)
          throw new ApiError('unprocessable', `domain: ${JSON.stringify(body.domain)} ${problem}.`, [
            { field: 'domain', message: problem },
          ]);
        // Before anything that costs: the key pair below takes an RSA key generation.
        if (await sendingDomains.byName(db, accountId, body.domain)) throw alreadyAdded(body.domain);
        if ((await sendingDomains.countOf(db, accountId)) >= MAX_DOMAINS) throw accountFull();
        if (
          (await sendingDomains.verifiedElsewhere(db, accountId, body.domain)) &&
          // Held by an account that still proves it (its records are gone: it loses the domain).
          (await stillHeld(db, resolver, body.domain, spfHost))
        )
          throw new ApiError(
            'unprocessable',
            `${body.domain} is verified by another account: a domain sends for one account only.`,
            [{ field: 'domain', message: 'is verified by another account' }],
          );
        if (!keySecret)
          throw new ApiError(
            'unavailable',
            'Sending domains cannot be added: the service has no DKIM_ENCRYPTION_KEY to keep their keys with.',
          );
        const keys = await newDomainKeys(accountId, body.domain, keySecret);
        // Counted again with the account locked: requests beside this one cannot all pass the bound.
        const id = await db.transaction().execute(async (trx) => {
          await accounts.lock(trx, accountId);
          if ((await sendingDomains.countOf(trx, accountId)) >= MAX_DOMAINS) throw accountFull();
          return sendingDomains.create(trx, accountId, keys);
        });
        // Null: the same domain added by a request beside this one.
        if (id === null) throw alreadyAdded(body.domain);
        const row = await sendingDomains.get(db, accountId, id);
        if (!row)
          throw new ApiError('not_found', `Sending domain ${id} was removed while it was being added.`);
        return domainJson(row, spfHost);
      },
    }),
    route({
      method: 'get',
      path: '/v1/sending-domains',
      tag: 'sending domains',
      summary: "List the account's sending domains",
      query: z.strictObject(pageQuery),
      status: 200,
      response: pageOf(sendingDomainSchema),
      handler: ({ accountId, query }) =>
        paginate(
          query,
          (page) => sendingDomains.list(db, accountId, page),
          (row) => domainJson(row, spfHost),
        ),
    }),
    route({
      method: 'get',
      path: '/v1/sending-domains/:id',
      tag: 'sending domains',
      summary: 'One sending domain with the DNS records to publish',
      status: 200,
      response: sendingDomainSchema,
      errors: [404],
      handler: async ({ accountId, params }) =>
        domainJson(await requireDomain(accountId, params.id), spfHost),
    }),
    route({
      method: 'post',
      path: '/v1/sending-domains/:id/verify',
      tag: 'sending domains',
      summary: 'Look the DNS records up: 200 verified, or 422 naming each record missing or wrong',
      status: 200,
      response: sendingDomainSchema,
      errors: [404, 422, 503],
      async handler({ accountId, params }) {
        const row = await requireDomain(accountId, params.id);
        let verdict;
        try {
          verdict = await verifyDomain(db, resolver, accountId, row, spfHost);
        } catch (err) {
          if (err instanceof DnsLookupError)
            throw new ApiError(
              'unavailable',
              `DNS could not answer: ${err.message}. Nothing changed; try again shortly.`,
            );
          throw err;
        }
        if (verdict.taken)
          throw new ApiError(
            'unprocessable',
            `${row.domain} is verified by another account: a domain sends for one account only.`,
            [{ field: 'domain', message: 'is verified by another account' }],
          );
        const after = await sendingDomains.get(db, accountId, row.id);
        if (!after) throw new ApiError('not_found', `No sending domain ${row.id}.`);
        if (verdict.verified) return domainJson(after, spfHost, verdict.checks);
        const bad = verdict.checks.filter((c) => c.status !== 'ok');
        const required = bad.filter((c) => c.required);
        throw new ApiError(
          'unprocessable',
          `${row.domain} is not verified: ${required.map((c) => c.problem).join('; ')}.` +
            (row.verified_at
              ? ' It was verified before: mailings from it are refused until it is again.'
              : ''),
          bad.map((c) => ({
            field: `dnsRecords[${verdict.checks.indexOf(c)}]`,
            message: c.problem ?? c.status,
            purpose: c.purpose,
            name: c.name,
            status: c.status,
            required: c.required,
          })),
        );
      },
    }),
    route({
      method: 'delete',
      path: '/v1/sending-domains/:id',
      tag: 'sending domains',
      summary: 'Remove a sending domain (and its DKIM key); 409 while a mailing from it is being sent',
      status: 204,
      errors: [404, 409],
      async handler({ accountId, params }) {
        const row = await requireDomain(accountId, params.id);
        // Under the row's lock: a send being marked holds it shared (requireVerifiedFrom), so either
        // that mailing is found sending here, or the send finds no domain afterwards.
        await db.transaction().execute(async (trx) => {
          if (!(await sendingDomains.lockForRemoval(trx, accountId, row.id)))
            throw new ApiError('not_found', `No sending domain ${row.id}.`);
          const sending = await sendingDomains.sendingFrom(trx, accountId, row.domain);
          if (sending.length)
            throw new ApiError(
              'conflict',
              `${row.domain} signs mailing ${sending.join(', ')} being sent now: remove it once the sending is done.`,
            );
          await sendingDomains.remove(trx, accountId, row.id);
        });
      },
    }),
  ];
}
