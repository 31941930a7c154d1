/**
 * Looks a domain's records up and judges them. Lookups that fail for a reason other than "no such
 * record" (a timeout, SERVFAIL) say nothing about the domain: they are reported as such, so that a
 * DNS outage never un-verifies a domain.
 */
import { judge, REQUIRED, type DnsRecord, type RecordCheck } from './records';

/** The one question verification asks; `dns.promises.Resolver` answers it. */
export type TxtResolver = { resolveTxt(name: string): Promise<string[][]> };

/** A name whose TXT records could not be looked up. */
export class DnsLookupError extends Error {
  override name = 'DnsLookupError';
}

/** More than this many TXT records at one name is not a zone we publish into: the rest are ignored. */
const MAX_RECORDS = 50;
/** A TXT record longer than this is no record of ours (a DKIM key of 4096 bits is ~800 characters). */
const MAX_TEXT = 4096;

/**
 * Each record judged against what its name holds. A name that cannot be looked up throws
 * DnsLookupError when a required record lives there; a suggested one is reported `unknown`.
 */
export async function checkRecords(resolver: TxtResolver, records: DnsRecord[]): Promise<RecordCheck[]> {
  const names = [...new Set(records.map((r) => r.name))];
  const found = new Map(
    await Promise.all(
      names.map(async (n) => [n, await txtAt(resolver, n).catch((err: unknown) => err)] as const),
    ),
  );
  return records.map((r) => {
    const texts = found.get(r.name);
    if (!(texts instanceof Error)) return judge(r, texts as string[] | null);
    if (REQUIRED.has(r.purpose)) throw texts;
    return { ...r, required: false, status: 'unknown', problem: texts.message };
  });
}

async function txtAt(resolver: TxtResolver, name: string): Promise<string[] | null> {
  try {
    const answers = await resolver.resolveTxt(name);
    // A record may come in several strings of at most 255 octets: they are one text.
    return answers
      .slice(0, MAX_RECORDS)
      .map((chunks) => chunks.join(''))
      .filter((t) => t.length <= MAX_TEXT);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ENOTFOUND' || code === 'ENODATA') return null;
    throw new DnsLookupError(`the TXT records of ${name} could not be looked up (${code ?? 'error'})`);
  }
}
