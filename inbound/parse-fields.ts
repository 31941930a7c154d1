/**
 * The field blocks of RFC 3464 delivery reports (`message/delivery-status`, RFC 6533's
 * `message/global-delivery-status`) and RFC 5965 feedback reports (`message/feedback-report`): header
 * syntax, `Name: value` lines with continuation lines, groups separated by blank lines. The MIME around
 * them is mailparser's; these few lines are read here, bounded in lines and characters.
 */
import {
  cleanDiagnostic,
  enhancedIn,
  findAddress,
  normalizeAction,
  statusCode,
  type Action,
} from './parse-util';

export type Fields = Map<string, string>;

const MAX_LINES = 5_000;
const MAX_LINE = 4_000;
const MAX_VALUE = 8_000;
const FIELD = /^([A-Za-z][A-Za-z0-9-]{0,63})[ \t]*:[ \t]*(.*)$/;

/**
 * Groups of fields, in order. A line that starts with white space continues the field above it; so
 * does a line that is no field at all (some MTAs fold without indenting). The first value of a name in
 * a group is kept, and its continuation lines are joined with one space.
 */
export function fieldGroups(text: string): Fields[] {
  const groups: Fields[] = [];
  let group: Fields | null = null;
  let last: string | null = null;
  for (const rawLine of text.split(/\r\n|\r|\n/, MAX_LINES)) {
    const line = rawLine.slice(0, MAX_LINE);
    if (line.trim() === '') {
      group = null;
      last = null;
      continue;
    }
    const m = /^[ \t]/.test(line) ? null : FIELD.exec(line);
    if (m) {
      const name = (m[1] ?? '').toLowerCase();
      if (!group) {
        group = new Map();
        groups.push(group);
      }
      if (group.has(name)) {
        // A repeated name starts its own entry so that a missing blank line does not merge recipients.
        group = new Map();
        groups.push(group);
      }
      group.set(name, (m[2] ?? '').trim().slice(0, MAX_VALUE));
      last = name;
    } else if (group && last) {
      const value = `${group.get(last) ?? ''} ${line.trim()}`.trim();
      group.set(last, value.slice(0, MAX_VALUE));
    }
  }
  return groups;
}

/** One per-recipient group of a delivery report, read. */
export type DsnRecipient = {
  recipient: string;
  action: Action;
  status: string | null;
  diagnosticCode: string | null;
  remoteMta: string | null;
};

export type DeliveryReport = { perMessage: Fields; recipients: DsnRecipient[] };

const RECIPIENT_FIELDS = ['final-recipient', 'original-recipient', 'x-actual-recipient'];

/**
 * The per-message fields (the groups without a recipient) and each per-recipient group. A recipient
 * group is a group naming a recipient; one whose action is missing gets it from its status class.
 */
export function deliveryReport(text: string): DeliveryReport {
  const perMessage: Fields = new Map();
  const recipients: DsnRecipient[] = [];
  for (const group of fieldGroups(text)) {
    if (!RECIPIENT_FIELDS.some((f) => group.has(f))) {
      for (const [k, v] of group) if (!perMessage.has(k)) perMessage.set(k, v);
      continue;
    }
    const r = readRecipient(group);
    if (r) recipients.push(r);
    if (recipients.length >= 500) break;
  }
  return { perMessage, recipients };
}

function readRecipient(g: Fields): DsnRecipient | null {
  // Sendmail's X-Actual-Recipient (the address an alias or a virtual user table led to) is read only
  // without a Final-Recipient: the report is about the address we sent to, as Sisimai reads it too
  // (a virtual user mapped to a missing mailbox is a dead address; an alias of many is rarer).
  const recipient =
    findAddress(g.get('final-recipient') ?? '') ??
    findAddress(g.get('original-recipient') ?? '', true) ??
    findAddress(g.get('x-actual-recipient') ?? '');
  if (!recipient) return null;
  const diagnosticCode = cleanDiagnostic(stripType(g.get('diagnostic-code') ?? ''));
  let status = statusCode(g.get('status'));
  // A bare class (`5.0.0`) or no status: the diagnostic's own code of the same class says more.
  const inDiagnostic = diagnosticCode ? enhancedIn(diagnosticCode) : null;
  if (inDiagnostic && (!status || (status.endsWith('.0.0') && inDiagnostic[0] === status[0]))) {
    status = inDiagnostic;
  }
  const action = normalizeAction(g.get('action')) ?? actionFromStatus(status, diagnosticCode);
  return { recipient, action, status, diagnosticCode, remoteMta: hostOf(g.get('remote-mta')) };
}

/** `dns; mx.example.org. (192.0.2.1, the server for ...)` → `mx.example.org`; `[192.0.2.1]` stays. */
function hostOf(value: string | undefined): string | null {
  const token =
    stripType(value ?? '')
      .trim()
      .split(/[\s(]/, 1)[0] ?? '';
  const host = token.replace(/\.$/, '').slice(0, 255);
  return host === '' ? null : host;
}

function actionFromStatus(status: string | null, diagnostic: string | null): Action {
  const cls = status?.[0] ?? /^\s*([245])\d\d/.exec(diagnostic ?? '')?.[1];
  if (cls === '2') return 'delivered';
  if (cls === '4') return 'delayed';
  return 'failed';
}

/** `smtp; 550 ...` → `550 ...`; `dns; mx.example.org` → `mx.example.org`. Only a short type word is cut. */
export function stripType(value: string): string {
  const m = /^[ \t]*([A-Za-z][A-Za-z0-9-]{0,30})[ \t]*;[ \t]*/.exec(value);
  return m ? value.slice(m[0].length) : value;
}

/** Feedback report fields (RFC 5965 §3.1), one group or several, merged (first value wins). */
export function feedbackFields(text: string): Fields {
  const out: Fields = new Map();
  for (const g of fieldGroups(text)) for (const [k, v] of g) if (!out.has(k)) out.set(k, v);
  return out;
}
