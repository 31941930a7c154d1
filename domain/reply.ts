/**
 * A receiving server's reply as we keep it. Replies come from the internet: they may hold NUL bytes,
 * control characters or invalid text (which PostgreSQL refuses) and be as long as a client accepts
 * (about 1 MB), while RFC 5321 lines are at most 512 octets. Cleaned once, where they enter.
 */

/** What is kept of a reply: a few RFC 5321 lines' worth, enough for every real reply we have seen. */
export const MAX_REPLY_CHARS = 2_000;

// C0 controls but tab, LF and CR; DEL; C1 controls; lone surrogates (not text in any encoding).
const UNSAFE =
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** The reply as text PostgreSQL and JSON accept, unsafe characters as U+FFFD, cut to MAX_REPLY_CHARS. */
export function cleanReply(raw: string): string {
  const clean = raw.replace(UNSAFE, '\ufffd').trim();
  if (clean.length <= MAX_REPLY_CHARS) return clean;
  const marker = ` … [cut: ${clean.length - MAX_REPLY_CHARS} more characters]`;
  // Never cut a surrogate pair in two.
  let end = MAX_REPLY_CHARS - marker.length;
  if (/[\ud800-\udbff]/.test(clean[end - 1] ?? '')) end--;
  return clean.slice(0, end) + marker;
}
