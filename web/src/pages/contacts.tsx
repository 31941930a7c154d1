/** Contacts: the list with a search, the import (pasted or a CSV file), one added by hand. */
import { type FormEvent, type MouseEvent, type RefObject, useRef, useState } from 'react';
import { allPages, api, type ApiError, type Contact, type ContactStatus, type ImportResult } from '../api';
import { type Encoding, type ParsedRow, decodeFile, parseContacts } from '../csv';
import { Link } from '../router';
import {
  Button,
  ErrorText,
  Loading,
  Pager,
  Progress,
  Section,
  asApiError,
  useLoad,
  usePages,
  useSettled,
  useTitle,
  when,
  words,
} from '../ui';
import { ContactsTabs } from './incorrect';

export function ContactsPage() {
  const [status, setStatus] = useState<ContactStatus | ''>('');
  const [search, setSearch] = useState('');
  // Asked once typing pauses, not at every key.
  const query = useSettled(search.trim(), 250);
  const [version, setVersion] = useState(0);
  const changed = () => setVersion((v) => v + 1);
  useTitle('Contacts');
  return (
    <>
      <ContactsTabs current="all" />
      <div className="title-row">
        <h1>Contacts</h1>
        {/* The forms come after a page of 50 contacts (50 cards on a phone): a way to them from the top. */}
        <nav className="jump" aria-label="Contact forms">
          <JumpLink to="add-email">Add a contact</JumpLink>
          <JumpLink to="import-text">Import contacts</JumpLink>
        </nav>
      </div>
      <div className="filters">
        <div className="field">
          <label htmlFor="contact-search">Search</label>
          <input
            id="contact-search"
            type="search"
            value={search}
            placeholder="Email or name"
            maxLength={200}
            onChange={(e) => setSearch(e.target.value)}
          />
        </div>
        <div className="field">
          <label htmlFor="contact-status">Status</label>
          <select
            id="contact-status"
            value={status}
            onChange={(e) => setStatus(e.target.value as ContactStatus | '')}
          >
            <option value="">All</option>
            <option value="active">Active</option>
            <option value="incorrect">Incorrect</option>
            <option value="unsubscribed">Unsubscribed</option>
          </select>
        </div>
      </div>
      <ContactList status={status} search={query} version={version} />
      <div className="two">
        <AddContact onAdded={changed} />
        <ImportContacts onImported={changed} />
      </div>
    </>
  );
}

/** A link to a form further down: it takes the keyboard to its first field (and the view with it). */
function JumpLink({ to, children }: { to: string; children: string }) {
  const onClick = (e: MouseEvent<HTMLAnchorElement>) => {
    const field = document.getElementById(to);
    if (!field) return;
    e.preventDefault();
    field.focus({ preventScroll: true });
    field.closest('section')?.scrollIntoView({ block: 'start' });
  };
  return (
    <a href={`#${to}`} onClick={onClick}>
      {children}
    </a>
  );
}

function ContactList({
  status,
  search,
  version,
}: {
  status: ContactStatus | '';
  search: string;
  version: number;
}) {
  // The API searches (a part of the address or of a name, any letter case) and pages the matches.
  // Each page says which list it answers: the rows of the last one are not shown under a new one.
  const pages = usePages(
    (cursor) =>
      api('get', '/v1/contacts', {
        query: { status: status || undefined, search: search || undefined, cursor, limit: 50 },
      }).then((page) => ({ ...page, answers: `${status}|${search}` })),
    [status, search, version],
  );
  const shown = pages.data?.answers === `${status}|${search}` ? pages.data : undefined;
  const top = useRef<HTMLTableElement>(null);
  const matches =
    !search || !shown
      ? ''
      : shown.items.length === 0
        ? `No contact matches “${search}”.`
        : `Contacts matching “${search}”${shown.nextCursor || pages.number > 1 ? `, page ${pages.number}` : ''}:`;
  return (
    <>
      <ErrorText error={pages.error} retry={pages.reload} />
      {/* Always there, so that a screen reader announces each new result. */}
      <p role="status">{matches}</p>
      {!shown && pages.loading && <Loading what={search ? 'matching contacts' : 'contacts'} />}
      {shown && (shown.items.length > 0 || !search) && <ContactTable contacts={shown.items} top={top} />}
      <Pager label="contacts" number={pages.number} previous={pages.previous} next={pages.next} top={top} />
    </>
  );
}

function ContactTable({ contacts, top }: { contacts: Contact[]; top: RefObject<HTMLTableElement | null> }) {
  if (contacts.length === 0) return <p>No contacts.</p>;
  return (
    <div className="table-wrap">
      <table className="cards" ref={top} tabIndex={-1}>
        <thead>
          <tr>
            <th scope="col">Email</th>
            <th scope="col">Name</th>
            <th scope="col">Status</th>
            <th scope="col" className="num">
              Groups
            </th>
            <th scope="col">Added</th>
          </tr>
        </thead>
        <tbody>
          {contacts.map((c) => (
            <tr key={c.id} className={c.status === 'incorrect' ? 'incorrect' : undefined}>
              <td className="wrap" data-label="Email">
                {c.email}
                {c.status === 'incorrect' && <span className="tag">incorrect address</span>}
              </td>
              <td className="wrap" data-label="Name">
                {[c.firstName, c.lastName].filter(Boolean).join(' ') || '—'}
              </td>
              <td data-label="Status">
                {c.status === 'incorrect' ? (
                  <Link to="/contacts/incorrect">incorrect: {words(c.incorrectReason)}</Link>
                ) : (
                  c.status
                )}
              </td>
              <td className="num" data-label="Groups">
                {c.groupIds.length}
              </td>
              <td data-label="Added">{when(c.createdAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function AddContact({ onAdded }: { onAdded: () => void }) {
  const [form, setForm] = useState({ email: '', firstName: '', lastName: '' });
  const [error, setError] = useState<ApiError>();
  const [added, setAdded] = useState<string>();
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (busy || !form.email.trim()) return;
    setBusy(true);
    setError(undefined);
    setAdded(undefined);
    try {
      const c = await api('post', '/v1/contacts', {
        body: {
          email: form.email,
          ...(form.firstName.trim() && { firstName: form.firstName }),
          ...(form.lastName.trim() && { lastName: form.lastName }),
        },
      });
      setAdded(`Added ${c.email}.`);
      setForm({ email: '', firstName: '', lastName: '' });
      onAdded();
    } catch (err) {
      setError(asApiError(err));
    } finally {
      setBusy(false);
    }
  }
  const input = (name: keyof typeof form, label: string, type = 'text') => {
    const problem = error?.about(name);
    return (
      <div className="field">
        <label htmlFor={`add-${name}`}>{label}</label>
        <input
          id={`add-${name}`}
          type={type}
          required={name === 'email'}
          value={form[name]}
          onChange={(e) => setForm((f) => ({ ...f, [name]: e.target.value }))}
          aria-invalid={problem ? true : undefined}
          aria-describedby={problem ? `add-${name}-error` : undefined}
        />
        {problem && (
          <p className="error" id={`add-${name}-error`}>
            {problem}
          </p>
        )}
      </div>
    );
  };
  return (
    <Section title="Add a contact" id="add-contact">
      <form onSubmit={(e) => void submit(e)} noValidate>
        {input('email', 'Email', 'email')}
        {input('firstName', 'First name (optional)')}
        {input('lastName', 'Last name (optional)')}
        {error && !error.details.length && <ErrorText error={error} />}
        {/* Not disabled while adding, nor once the form is emptied: the keyboard stays on it. */}
        <Button type="submit" unavailable={busy || !form.email.trim()}>
          Add contact
        </Button>
        {added && (
          <p className="success" role="status">
            {added}
          </p>
        )}
      </form>
    </Section>
  );
}

const IMPORT_BATCH = 5_000;

function ImportContacts({ onImported }: { onImported: () => void }) {
  const groups = useLoad(
    () => allPages((cursor) => api('get', '/v1/groups', { query: { cursor, limit: 1000 } })),
    [],
  );
  const [text, setText] = useState('');
  const [groupId, setGroupId] = useState('');
  const [progress, setProgress] = useState<{ done: number; total: number }>();
  const [result, setResult] = useState<{
    outcome: ImportResult;
    invalid: { line: number; email: string | null; message: string }[];
  }>();
  const [error, setError] = useState<ApiError>();

  const [read, setRead] = useState<{ name: string; encoding: Encoding }>();
  async function readFile(input: HTMLInputElement) {
    const file = input.files?.[0];
    if (!file) return;
    setError(undefined);
    try {
      // Not file.text(), which takes every file for UTF-8: Excel's CSV is Windows-1252 by default.
      const { text, encoding } = decodeFile(new Uint8Array(await file.arrayBuffer()));
      setText(text);
      setRead({ name: file.name, encoding });
    } catch (err) {
      setError(asApiError(err));
    } finally {
      // Emptied once read: the same file chosen again (edited meanwhile) is a change, and is read anew.
      input.value = '';
    }
  }

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (progress !== undefined || !text.trim()) return;
    setError(undefined);
    setResult(undefined);
    const rows: ParsedRow[] = parseContacts(text);
    if (rows.length === 0)
      return setError(asApiError(new Error('There is nothing to import: paste addresses or choose a file.')));
    const outcome: ImportResult = { created: 0, existing: 0, invalid: [] };
    const invalid: { line: number; email: string | null; message: string }[] = [];
    setProgress({ done: 0, total: rows.length });
    try {
      for (let i = 0; i < rows.length; i += IMPORT_BATCH) {
        const batch = rows.slice(i, i + IMPORT_BATCH);
        const r = await api('post', '/v1/contacts/import', {
          body: { contacts: batch.map((b) => b.row), ...(groupId && { groupId }) },
        });
        outcome.created += r.created;
        outcome.existing += r.existing;
        // The API names a row by its index in the call: here, by its line in what was pasted.
        invalid.push(...r.invalid.map((x) => ({ ...x, line: batch[x.index]!.line })));
        setProgress({ done: i + batch.length, total: rows.length });
      }
      setResult({ outcome, invalid });
      onImported();
    } catch (err) {
      setError(asApiError(err));
    } finally {
      setProgress(undefined);
    }
  }

  return (
    <Section title="Import contacts" id="import">
      <form onSubmit={(e) => void submit(e)}>
        <div className="field">
          <label htmlFor="import-text">Contacts, one a line</label>
          <textarea
            id="import-text"
            rows={6}
            value={text}
            onChange={(e) => {
              setText(e.target.value);
              setRead(undefined);
            }}
            placeholder={'ann@example.com, Ann, Smith\nbob@example.com'}
            aria-describedby="import-hint"
          />
          <p className="hint" id="import-hint">
            <code>email, first name, last name</code>, or a CSV with a header line naming an email column.
          </p>
        </div>
        <div className="field">
          <label htmlFor="import-file">Or a CSV file</label>
          <input
            id="import-file"
            type="file"
            accept=".csv,.txt,text/csv,text/plain"
            onChange={(e) => void readFile(e.currentTarget)}
            aria-describedby={read ? 'import-file-read' : undefined}
          />
          {read && (
            <p className="hint" id="import-file-read" role="status">
              {read.encoding === 'Windows-1252'
                ? `Read “${read.name}” into the box above as Windows-1252 (Excel’s CSV; the file is not UTF-8): check its accented letters.`
                : `Read “${read.name}” into the box above (${read.encoding}).`}
            </p>
          )}
        </div>
        <div className="field">
          <label htmlFor="import-group">Add them to the group</label>
          <select id="import-group" value={groupId} onChange={(e) => setGroupId(e.target.value)}>
            <option value="">No group</option>
            {groups.data?.map((g) => (
              <option key={g.id} value={g.id}>
                {g.name}
              </option>
            ))}
          </select>
          <ErrorText error={groups.error} retry={groups.reload} />
        </div>
        <Button type="submit" unavailable={progress !== undefined || !text.trim()}>
          Import
        </Button>
        {progress && (
          <Progress
            label={`Importing: ${progress.done} of ${progress.total} rows sent…`}
            value={progress.done}
            max={progress.total}
          />
        )}
        <ErrorText error={error} />
        {result && (
          // Nothing created and rows refused: a warning, not a success (the rest were there already).
          <div
            role="status"
            className={result.outcome.created === 0 && result.invalid.length > 0 ? 'warning' : 'success'}
          >
            <p>
              {result.outcome.created} created, {result.outcome.existing} already there,{' '}
              {result.invalid.length} invalid.
            </p>
            {result.invalid.length > 0 && (
              <ul className="invalid-rows">
                {result.invalid.slice(0, 100).map((x) => (
                  <li key={x.line}>
                    Line {x.line}: <code>{x.email || '(no email)'}</code>: {x.message}
                  </li>
                ))}
              </ul>
            )}
          </div>
        )}
      </form>
    </Section>
  );
}
