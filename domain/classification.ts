/**
 * Bounce classification: an SMTP reply (or a client-side error name) in, a verdict out. Pure code,
 * its policy an ordered table (first match wins) so that it reads like the spec
 * (docs/delivery-rules.md): provider wording beats RFC 3463 enhanced codes, which beat the basic
 * reply code; a reply that matches nothing specific falls back to its first digit.
 */
export type BounceCategory = 'delivered' | 'hard_bounce' | 'mailbox_full' | 'soft_bounce' | 'blocked';

export type Classification = {
  category: BounceCategory;
  reason: string;
  code: number | null;
  enhancedCode: string | null;
  rule: string;
};

/** What a rule sees: the reply taken apart. */
export type ParsedReply = {
  text: string;
  code: number | null;
  enhancedCode: string | null;
  /** The client-side error name (`ETIMEDOUT`, `ENOTFOUND`, ...) when there was no reply. */
  errorName: string | null;
  /** 5xx or 5.x.x; a temporary reply (4xx / 4.x.x) is never a permanent verdict. */
  permanent: boolean;
};

type Verdict = { category: BounceCategory; reason: string };
type Rule = {
  name: string;
  when: (r: ParsedReply) => boolean;
  then: Verdict | ((r: ParsedReply) => Verdict);
};

const wording = (re: RegExp) => (r: ParsedReply) => r.code !== null && re.test(r.text);
const enhanced = (re: RegExp) => (r: ParsedReply) => r.enhancedCode !== null && re.test(r.enhancedCode);
/** Address wording counts only on a permanent reply: on a 4xx the enhanced code decides (X.1.1 = bad address). */
const addressWording = (re: RegExp) => (r: ParsedReply) => r.permanent && wording(re)(r);
const errorName =
  (...names: string[]) =>
  (r: ParsedReply) =>
    r.errorName !== null && names.includes(r.errorName);
/** A refusal about the sender or message: `blocked` when permanent, retried when temporary. */
const refusal =
  (reason: string, temporaryReason = reason) =>
  (r: ParsedReply) =>
    r.permanent
      ? { category: 'blocked' as const, reason }
      : { category: 'soft_bounce' as const, reason: temporaryReason };
const MAILBOX_FULL = { category: 'mailbox_full', reason: 'mailbox_full' } as const;
const soft = (reason: string): Verdict => ({ category: 'soft_bounce', reason });
const hard = (reason: string): Verdict => ({ category: 'hard_bounce', reason });

/** The policy. Order matters: the first rule that matches decides. */
export const RULES: readonly Rule[] = [
  // ── No reply at all: the client failed before or while talking to the server.
  { name: 'dns.nxdomain', when: errorName('ENOTFOUND', 'ENXDOMAIN'), then: hard('domain_not_found') },
  { name: 'dns.null_mx', when: errorName('ENULLMX'), then: hard('domain_not_found') },
  {
    name: 'dns.temporary',
    when: errorName('ESERVFAIL', 'EAI_AGAIN', 'ETIMEOUT', 'EREFUSED', 'EDNS'),
    then: soft('dns_temporary'),
  },
  // The message was sent and no answer came (silence, or the connection dropped): it may have
  // arrived. Retried, and counted apart, so statistics show how many might have arrived twice.
  {
    name: 'net.no_reply_after_data',
    when: errorName('ENOREPLYAFTERDATA'),
    then: soft('no_answer_after_data'),
  },
  { name: 'net.timeout', when: errorName('ETIMEDOUT', 'ESOCKETTIMEDOUT'), then: soft('timeout') },
  { name: 'net.error', when: (r) => r.errorName !== null, then: soft('network_error') },

  // ── 2xx: accepted.
  {
    name: 'accepted',
    when: (r) => r.code !== null && r.code >= 200 && r.code < 300,
    then: { category: 'delivered', reason: 'accepted' },
  },

  // ── Provider wording (providers misuse codes; their words are the better witness).
  { name: 'wording.greylisted', when: wording(/gr[ae]y ?list/i), then: soft('greylisted') },
  // Gmail 5.4.5 / 4.7.28 style: our own sending limits, not the recipient's quota.
  {
    name: 'wording.sending_quota',
    when: wording(
      /sending (quota|limit)|daily (user )?(sending )?quota|receiving mail (too quickly|at a rate)|max(imum)? (number of )?messages? per connection|unusual amount|too many (messages|emails|mails|connections|recipients|requests)|rate.?limit|unusual rate|throttl|volume|exceeded the (maximum )?(rate|number of)/i,
    ),
    then: refusal('rate_limited'),
  },
  {
    name: 'wording.server_storage',
    when: wording(/insufficient system (storage|resources)/i),
    then: soft('server_busy'),
  },
  {
    name: 'wording.mailbox_full',
    when: wording(
      /mailbox (is )?full|(mail)?box.{0,20}(over|exceeds?|exceeded).{0,10}(quota|storage|size)|over ?quota|quota (exceeded|exceed|full)|exceeded (its |the )?(storage|quota)|storage (quota|limit|allocation)|out of storage|inbox is full|boite (aux lettres )?pleine|boîte (aux lettres )?pleine|user.{0,30}(is over|has exceeded).{0,20}(quota|limit)/i,
    ),
    then: MAILBOX_FULL,
  },
  {
    name: 'wording.message_too_large',
    when: wording(
      /message (size|length) exceeds|message (is )?too (big|large)|exceeds (the )?(fixed )?(maximum )?(message )?size|size limit|message size|too large/i,
    ),
    then: refusal('message_too_large'),
  },
  {
    name: 'wording.blocklisted',
    when: wording(
      /spamhaus|spamcop|barracuda|sorbs|\bRBL\b|\bDNSBL\b|block ?list|black ?list|blocked using|listed (at|on|in|by)|poor (ip )?reputation|bad reputation|reputation|client host .{0,60}blocked|banned sending ip|not accepted from this ip|\bS3150\b|\bAS\(?\d+\)?.{0,20}blocked/i,
    ),
    then: refusal('ip_blocklisted'),
  },
  {
    name: 'wording.auth',
    when: wording(
      /\bSPF\b|\bDKIM\b|\bDMARC\b|not (properly )?authenticated|authentication (check )?fail|unauthenticated|sender (identity|domain) (verification|authentication)/i,
    ),
    then: refusal('auth_failed'),
  },
  {
    name: 'wording.relay_denied',
    when: wording(
      /relay(ing)? (access )?(denied|not permitted|prohibited|not allowed)|not permitted to relay|unable to relay|(do not|don't|cannot) relay|not allowed to relay|allowed rcpthosts/i,
    ),
    then: refusal('relay_denied'),
  },
  {
    name: 'wording.sender_rejected',
    when: wording(/sender (address )?rejected|sender verif(y|ication) failed/i),
    then: refusal('policy'),
  },
  {
    name: 'wording.policy',
    when: wording(/administrative prohibition|local policy|policy reasons/i),
    then: refusal('policy'),
  },
  {
    name: 'wording.spam',
    when: wording(
      /spam|unsolicited|junk mail|bulk mail|phish|virus|malware|content (was )?(rejected|filter)|message (content )?(rejected|refused) (due to|as|because)|suspicious|policy violation|\bUCE\b/i,
    ),
    then: refusal('spam_content'),
  },
  {
    name: 'wording.server_busy',
    when: (r) =>
      !r.permanent &&
      wording(/server (is )?busy|too busy|temporary (server|system) (error|problem)|try (again )?later/i)(r),
    then: soft('server_busy'),
  },
  // Exchange Online answers an unknown recipient with 5.4.1 "Access denied".
  {
    name: 'wording.exchange_access_denied',
    when: addressWording(/recipient address rejected: access denied|access denied.{0,40}AS\(\d+\)/i),
    then: hard('user_unknown'),
  },
  {
    name: 'wording.mailbox_disabled',
    when: addressWording(
      /(account|mailbox|address|user) (that you tried to reach )?(is |has been )?(disabled|deactivated|inactive|suspended|closed|expired|locked|frozen)|no longer (active|in use|available|valid)/i,
    ),
    then: hard('mailbox_disabled'),
  },
  {
    name: 'wording.domain_not_found',
    when: addressWording(
      /(domain|host)( \S+)? (name )?(not found|does not exist|unknown)|no such domain|unrouteable|unroutable|domain (is )?(not|isn't) (valid|in use)|unknown domain|no mx/i,
    ),
    then: hard('domain_not_found'),
  },
  {
    name: 'wording.bad_syntax',
    when: addressWording(
      /(bad|invalid|illegal) (recipient )?(address )?syntax|syntax error in (recipient|address|parameters)|need fully.qualified address|malformed address/i,
    ),
    then: hard('bad_address_syntax'),
  },
  {
    name: 'wording.user_unknown',
    when: addressWording(
      /user unknown|unknown user|no such (user|mailbox|recipient|address|person)|user (not found|doesn'?t exist|does not exist)|(mailbox|recipient|address|account|user) (does not|doesn'?t) exist|doesn'?t have an? .{1,40}account|(recipient|mailbox|address) (not found|unknown|invalid)|invalid (recipient|mailbox|address)|unknown (recipient|mailbox|address|local.?part)|mailbox (unavailable|not available)|not our customer|RecipientNotFound|recipient rejected|address rejected|undeliverable address|no mailbox here|bad destination mailbox|is not a valid mailbox|mailbox name not allowed|inactive user|unknown or illegal alias/i,
    ),
    then: hard('user_unknown'),
  },

  // ── RFC 3463 enhanced status codes.
  { name: 'enhanced.x.2.2.mailbox_full', when: enhanced(/^[245]\.2\.2$/), then: MAILBOX_FULL },
  { name: 'enhanced.x.1.1.bad_mailbox', when: enhanced(/^[45]\.1\.1$/), then: hard('user_unknown') },
  { name: 'enhanced.x.1.2.bad_domain', when: enhanced(/^[45]\.1\.2$/), then: hard('domain_not_found') },
  { name: 'enhanced.x.1.3.bad_syntax', when: enhanced(/^[45]\.1\.3$/), then: hard('bad_address_syntax') },
  { name: 'enhanced.x.1.6.moved', when: enhanced(/^[45]\.1\.6$/), then: hard('mailbox_moved') },
  { name: 'enhanced.x.1.7-8.bad_sender', when: enhanced(/^[45]\.1\.[78]$/), then: refusal('policy') },
  { name: 'enhanced.5.1.x.bad_address', when: enhanced(/^5\.1\.\d+$/), then: hard('bad_address') },
  { name: 'enhanced.5.2.1.disabled', when: enhanced(/^5\.2\.1$/), then: hard('mailbox_disabled') },
  {
    name: 'enhanced.x.2.3.too_large',
    when: enhanced(/^[45]\.(2\.3|3\.4)$/),
    then: refusal('message_too_large'),
  },
  { name: 'enhanced.x.7.23-27.auth', when: enhanced(/^[45]\.7\.(2[3-7])$/), then: refusal('auth_failed') },
  { name: 'enhanced.5.7.x.policy', when: enhanced(/^5\.7\.\d+$/), then: refusal('policy') },
  { name: 'enhanced.5.4.4.unroutable', when: enhanced(/^5\.4\.4$/), then: hard('domain_not_found') },
  {
    name: 'enhanced.5.x.other',
    when: enhanced(/^5\.[3-6]\.\d+$/),
    then: { category: 'blocked', reason: 'server_rejected' },
  },
  { name: 'enhanced.4.7.x.policy', when: enhanced(/^4\.7\.\d+$/), then: soft('policy') },
  { name: 'enhanced.4.4.x.network', when: enhanced(/^4\.4\.\d+$/), then: soft('network_error') },
  { name: 'enhanced.4.x.temporary', when: enhanced(/^4\.\d+\.\d+$/), then: soft('server_busy') },

  // ── Basic reply codes (RFC 5321).
  { name: 'code.552.storage', when: (r) => r.code === 552, then: MAILBOX_FULL },
  { name: 'code.551.not_local', when: (r) => r.code === 551, then: hard('mailbox_moved') },
  { name: 'code.553.name_not_allowed', when: (r) => r.code === 553, then: hard('bad_address_syntax') },
  { name: 'code.421.unavailable', when: (r) => r.code === 421, then: soft('server_busy') },

  // ── Fallback: the first digit.
  {
    name: 'fallback.4xx',
    when: (r) => r.code !== null && r.code >= 400 && r.code < 500,
    then: soft('server_busy'),
  },
  {
    name: 'fallback.5xx',
    when: (r) => r.code !== null && r.code >= 500 && r.code < 600,
    then: hard('user_unknown'),
  },
];

/** Takes `550-5.1.1 first line\r\n550 5.1.1 second line` (or an error name) apart. */
export function parseReply(input: string): ParsedReply {
  const raw = input.trim();
  if (/^E[A-Z_]{2,}$/.test(raw)) {
    return { text: raw, code: null, enhancedCode: null, errorName: raw, permanent: false };
  }
  const lines = raw
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);
  const first = /^([2-5]\d\d)(?:[ -]|$)/.exec(lines[0] ?? '');
  const code = first ? Number(first[1]) : null;
  // Strip each line's "550-" / "550 " prefix so wording rules see one sentence.
  const text = lines.map((l) => l.replace(/^[2-5]\d\d[ -]?/, '')).join(' ');
  const enhancedMatch =
    /^\s*([245])\.(\d{1,3})\.(\d{1,3})\b/.exec(text) ?? /\b([245])\.(\d{1,3})\.(\d{1,3})\b/.exec(text);
  let enhancedCode = enhancedMatch ? `${enhancedMatch[1]}.${enhancedMatch[2]}.${enhancedMatch[3]}` : null;
  // An enhanced code whose class contradicts the basic code is noise (e.g. a version number in prose).
  if (enhancedCode && code !== null && enhancedCode[0] !== String(code)[0]) {
    const leading = /^\s*[245]\.\d{1,3}\.\d{1,3}\b/.test(text);
    if (!leading) enhancedCode = null;
  }
  const cls = enhancedCode?.[0] ?? (code !== null ? String(code)[0] : null);
  return { text, code, enhancedCode, errorName: null, permanent: cls === '5' };
}

export function classify(input: string): Classification {
  const parsed = parseReply(input);
  for (const rule of RULES) {
    if (rule.when(parsed)) {
      const verdict = typeof rule.then === 'function' ? rule.then(parsed) : rule.then;
      return { ...verdict, code: parsed.code, enhancedCode: parsed.enhancedCode, rule: rule.name };
    }
  }
  // Not a reply we can read at all (no code, no error name): retrying is the safe answer.
  return {
    category: 'soft_bounce',
    reason: 'unreadable_reply',
    code: null,
    enhancedCode: null,
    rule: 'unreadable',
  };
}
