/**
 * The DNS records a sending domain publishes, and how what DNS answers is judged against them.
 * Verification and DKIM are required (they prove ownership and let receivers check signatures); SPF
 * and DMARC are suggested: reported, never blocking, since a domain often has its own already.
 */
export type RecordPurpose = 'verification' | 'dkim' | 'spf' | 'dmarc';
export type DnsRecord = { type: 'TXT'; name: string; value: string; purpose: RecordPurpose };
/** `unknown`: DNS could not answer for a suggested record (a required one makes the check fail). */
export type RecordStatus = 'ok' | 'missing' | 'wrong' | 'unknown';
export type RecordCheck = DnsRecord & { required: boolean; status: RecordStatus; problem: string | null };

export type DomainKeys = {
  domain: string;
  verificationToken: string;
  dkimSelector: string;
  /** Base64 SubjectPublicKeyInfo. */
  dkimPublicKey: string;
};

export const VERIFICATION_PREFIX = 'deliverability-verification=';
export const REQUIRED: ReadonlySet<RecordPurpose> = new Set(['verification', 'dkim']);

/** `spfHost`: the host our mail leaves from (EHLO_HOSTNAME), named in the suggested SPF record. */
export function recordsFor(d: DomainKeys, spfHost: string): DnsRecord[] {
  return [
    {
      type: 'TXT',
      name: `_deliverability.${d.domain}`,
      value: `${VERIFICATION_PREFIX}${d.verificationToken}`,
      purpose: 'verification',
    },
    {
      type: 'TXT',
      name: `${d.dkimSelector}._domainkey.${d.domain}`,
      value: `v=DKIM1; k=rsa; p=${d.dkimPublicKey}`,
      purpose: 'dkim',
    },
    { type: 'TXT', name: d.domain, value: `v=spf1 a:${spfHost} ~all`, purpose: 'spf' },
    { type: 'TXT', name: `_dmarc.${d.domain}`, value: 'v=DMARC1; p=none', purpose: 'dmarc' },
  ];
}

/**
 * Judges one record against the TXT strings found at its name (`null`: the name has no TXT records).
 * What DNS answers is untrusted: it is only compared here, never echoed whole.
 */
export function judge(record: DnsRecord, found: string[] | null): RecordCheck {
  const check = (status: RecordStatus, problem: string | null): RecordCheck => ({
    ...record,
    required: REQUIRED.has(record.purpose),
    status,
    problem,
  });
  const missing = () => check('missing', `no TXT record ${record.name} with the value to publish`);
  const texts = (found ?? []).map((t) => t.trim());
  switch (record.purpose) {
    case 'verification': {
      if (texts.includes(record.value)) return check('ok', null);
      return texts.some((t) => t.startsWith(VERIFICATION_PREFIX))
        ? check('wrong', `TXT ${record.name} holds another verification token`)
        : missing();
    }
    case 'dkim': {
      const keys = texts.map(tags).filter((t) => t.has('p'));
      if (keys.length === 0) return missing();
      if (keys.length > 1) return check('wrong', `TXT ${record.name} has ${keys.length} DKIM keys: keep one`);
      const t = keys[0]!;
      const ours = tags(record.value).get('p');
      if ((t.get('v') ?? 'DKIM1') !== 'DKIM1' || (t.get('k') ?? 'rsa') !== 'rsa')
        return check('wrong', `TXT ${record.name} is not an RSA DKIM key (v=DKIM1; k=rsa)`);
      return t.get('p')!.replace(/\s+/g, '') === ours
        ? check('ok', null)
        : check('wrong', `TXT ${record.name} holds another public key than this domain's`);
    }
    case 'spf': {
      const spf = texts.filter((t) => /^v=spf1(\s|$)/i.test(t));
      if (spf.length === 0) return missing();
      if (spf.length > 1)
        return check('wrong', `${record.name} has ${spf.length} SPF records: merge them into one`);
      const mechanism = record.value.split(/\s+/)[1]!.toLowerCase();
      return spf[0]!.toLowerCase().split(/\s+/).includes(mechanism)
        ? check('ok', null)
        : check('wrong', `the SPF record of ${record.name} does not name ${mechanism}`);
    }
    case 'dmarc': {
      const dmarc = texts.filter((t) => /^v=DMARC1\s*(;|$)/i.test(t));
      if (dmarc.length === 0) return missing();
      return dmarc.length > 1
        ? check('wrong', `${record.name} has ${dmarc.length} DMARC records: keep one`)
        : check('ok', null);
    }
  }
}

/** `tag=value; ...` (RFC 6376 §3.2) as a map; names compared as written. */
function tags(text: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const part of text.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) map.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  return map;
}
