/**
 * The "Incorrect addresses" section: each address in grey with its reason and date, and an inline
 * correction that makes it active again and puts it back into its groups.
 */
import { type FormEvent, useEffect, useRef, useState } from 'react';
import { api, type ApiError, type Contact } from '../api';
import { Link } from '../router';
import { Button, ErrorText, Loading, Pager, asApiError, usePages, useTitle, when, words } from '../ui';

export function IncorrectPage() {
  const pages = usePages(
    (cursor) => api('get', '/v1/contacts', { query: { status: 'incorrect', cursor, limit: 50 } }),
    [],
  );
  const [corrected, setCorrected] = useState<Contact[]>([]);
  const top = useRef<HTMLTableElement>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  const fixedIds = new Set(corrected.map((c) => c.id));
  const items = (pages.data?.items ?? []).filter((c) => !fixedIds.has(c.id));
  useTitle('Incorrect addresses');
  // A corrected address's row goes, with the focus in it: the keyboard goes on from the next
  // address's correction (the one before at the end), else from the list or the title.
  const [refocus, setRefocus] = useState<{ then: string | undefined }>();
  useEffect(() => {
    if (!refocus) return;
    setRefocus(undefined);
    const field = refocus.then ? document.getElementById(`correct-${refocus.then}`) : null;
    (field ?? top.current ?? heading.current)?.focus();
  }, [refocus]);
  const onCorrected = (done: Contact) => {
    const at = items.findIndex((c) => c.id === done.id);
    setRefocus({ then: (items[at + 1] ?? items[at - 1])?.id });
    setCorrected((list) => [...list, done]);
  };
  return (
    <>
      <ContactsTabs current="incorrect" />
      <h1 ref={heading} tabIndex={-1}>
        Incorrect addresses
      </h1>
      <p className="hint">
        Addresses that do not exist (the receiving server said so). They left their groups and no mailing
        sends to them. Correct an address and it becomes active again and goes back into its groups.
      </p>
      {corrected.map((c) => (
        <p key={c.id} className="success" role="status">
          {c.email} is active again and back in {c.groupIds.length}{' '}
          {c.groupIds.length === 1 ? 'group' : 'groups'}.
        </p>
      ))}
      <ErrorText error={pages.error} retry={pages.reload} />
      {!pages.data && pages.loading && <Loading what="incorrect addresses" />}
      {pages.data && items.length === 0 && <p>No incorrect addresses.</p>}
      {items.length > 0 && (
        <div className="table-wrap">
          <table className="cards" ref={top} tabIndex={-1}>
            <thead>
              <tr>
                <th scope="col">Address</th>
                <th scope="col">Reason</th>
                <th scope="col">Since</th>
                <th scope="col">Correction</th>
              </tr>
            </thead>
            <tbody>
              {items.map((c) => (
                <tr key={c.id} className="incorrect">
                  <td className="wrap" data-label="Address">
                    {c.email}
                    {(c.firstName || c.lastName) && (
                      <div className="hint">{[c.firstName, c.lastName].filter(Boolean).join(' ')}</div>
                    )}
                  </td>
                  <td data-label="Reason">{words(c.incorrectReason)}</td>
                  <td data-label="Since">{when(c.incorrectSince)}</td>
                  <td data-label="Correction">
                    <Correction contact={c} onCorrected={onCorrected} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Pager
        label="incorrect addresses"
        number={pages.number}
        previous={pages.previous}
        next={pages.next}
        top={top}
      />
    </>
  );
}

function Correction({ contact, onCorrected }: { contact: Contact; onCorrected: (c: Contact) => void }) {
  const [email, setEmail] = useState(contact.email);
  const [error, setError] = useState<ApiError>();
  const [busy, setBusy] = useState(false);
  const inputId = `correct-${contact.id}`;

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (busy || email.trim() === contact.email) return;
    setBusy(true);
    setError(undefined);
    try {
      const updated = await api('patch', '/v1/contacts/{id}', { path: { id: contact.id }, body: { email } });
      if (updated.status === 'incorrect')
        setError(
          asApiError(new Error('That is the same mailbox: an incorrect address needs another address.')),
        );
      else onCorrected(updated);
    } catch (err) {
      setError(asApiError(err));
    } finally {
      setBusy(false);
    }
  }
  // The server's words about an address are the ones shown (noValidate: not the browser's bubble
  // beside them), and they go once the address is edited.
  return (
    <form className="inline" onSubmit={(e) => void submit(e)} noValidate>
      <label htmlFor={inputId} className="visually-hidden">
        Corrected address for {contact.email}
      </label>
      <input
        id={inputId}
        type="email"
        value={email}
        onChange={(e) => {
          setEmail(e.target.value);
          setError(undefined);
        }}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${inputId}-error` : undefined}
      />
      <Button type="submit" unavailable={busy || email.trim() === contact.email}>
        Correct
      </Button>
      <ErrorText error={error} id={`${inputId}-error`} />
    </form>
  );
}

export function ContactsTabs({ current }: { current: 'all' | 'incorrect' }) {
  return (
    <nav className="tabs" aria-label="Contacts">
      <Link to="/contacts" aria-current={current === 'all' ? 'page' : undefined}>
        All contacts
      </Link>
      <Link to="/contacts/incorrect" aria-current={current === 'incorrect' ? 'page' : undefined}>
        Incorrect addresses
      </Link>
    </nav>
  );
}
