/**
 * Pasted lines or a CSV file as contacts to import: one contact a line, `email, first name, last name`
 * (comma, semicolon or tab), or columns named by a header line that has an "email" column (a single
 * "name" column is split: its last word is the last name). The first line sets the separator; a line
 * without it but with another of the three (`dee@ok.test; Dee` pasted among commas) is split by that
 * one, its cells in the same columns.
 */
/** One contact to import, as `POST /v1/contacts/import` takes it. */
export type ImportRow = { email: string; firstName?: string; lastName?: string };

export type ParsedRow = { line: number; row: ImportRow };

export function parseContacts(text: string): ParsedRow[] {
  const lines = text.split(/\r\n|\n|\r/);
  const first = lines.findIndex((l) => l.trim() !== '');
  if (first < 0) return [];
  const separator = separatorOf(lines[first]!) ?? ',';
  const header = cells(lines[first]!, separator).map((c) => c.toLowerCase().replace(/[\s_-]/g, ''));
  const named = header.includes('email') || header.includes('emailaddress');
  const column = (...names: string[]) => (named ? header.findIndex((h) => names.includes(h)) : -1);
  const at = named
    ? {
        email: column('email', 'emailaddress'),
        firstName: column('firstname', 'first', 'givenname'),
        lastName: column('lastname', 'last', 'surname', 'familyname'),
        // One column for the whole name (`Name,Email`): its last word is the last name.
        fullName: column('name', 'fullname', 'contactname', 'displayname'),
      }
    : { email: 0, firstName: 1, lastName: 2, fullName: -1 };
  const rows: ParsedRow[] = [];
  lines.forEach((text, i) => {
    if (text.trim() === '' || (named && i === first)) return;
    const c = cells(text, text.includes(separator) ? separator : (separatorOf(text) ?? separator));
    const pick = (n: number) => (n >= 0 ? c[n]?.trim() || undefined : undefined);
    const row: ImportRow = { email: pick(at.email) ?? '' };
    const whole = at.firstName < 0 && at.lastName < 0 ? splitName(pick(at.fullName)) : {};
    const firstName = pick(at.firstName) ?? whole.firstName;
    const lastName = pick(at.lastName) ?? whole.lastName;
    if (firstName) row.firstName = firstName;
    if (lastName) row.lastName = lastName;
    rows.push({ line: i + 1, row });
  });
  return rows;
}

const SEPARATORS = [',', ';', '\t'];
/** The first of comma, semicolon and tab that the line holds. */
const separatorOf = (line: string) => SEPARATORS.find((s) => line.includes(s));

/** `Ann Marie Smith` → first `Ann Marie`, last `Smith`; one word is a first name. */
function splitName(name: string | undefined): { firstName?: string; lastName?: string } {
  if (!name) return {};
  const at = name.search(/\s+\S+$/);
  return at <= 0 ? { firstName: name } : { firstName: name.slice(0, at), lastName: name.slice(at).trim() };
}

/** One line's cells; a cell in double quotes may hold the separator and "" for a quote. */
function cells(line: string, separator: string): string[] {
  const out: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"' && cell.trim() === '') {
      quoted = true;
      cell = '';
    } else if (ch === separator) {
      out.push(cell);
      cell = '';
    } else cell += ch;
  }
  out.push(cell);
  return out;
}

/** The encodings a file is read in: UTF-8 when it is valid UTF-8, else what Excel writes by default. */
export type Encoding = 'UTF-8' | 'UTF-16' | 'Windows-1252';

/**
 * A file's bytes as text. UTF-8 when they are valid UTF-8 (a CSV saved by most tools, or by Excel
 * as "CSV UTF-8"); UTF-16 when a byte order mark says so (Excel's "Unicode text"); else
 * Windows-1252, Excel's default "CSV" on Windows, where `Jürgen` would otherwise come out as
 * `J�rgen`. A byte order mark is not part of the text, whichever the encoding.
 */
export function decodeFile(bytes: Uint8Array): { text: string; encoding: Encoding } {
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff))
    return {
      text: new TextDecoder(bytes[0] === 0xff ? 'utf-16le' : 'utf-16be').decode(bytes),
      encoding: 'UTF-16',
    };
  const bom = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
  const body = bom ? bytes.subarray(3) : bytes;
  try {
    return {
      text: new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(body),
      encoding: 'UTF-8',
    };
  } catch {
    return { text: new TextDecoder('windows-1252').decode(body), encoding: 'Windows-1252' };
  }
}
