/** The mailings with their four numbers, and a new mailing (a draft, sent from its own page). */
import { type FormEvent, useEffect, useRef, useState } from 'react';
import { allPages, api, type ApiError, type NewMailing } from '../api';
import { Link, navigate } from '../router';
import {
  Button,
  ErrorText,
  Loading,
  Pager,
  Progress,
  asApiError,
  plural,
  useLoad,
  usePages,
  useTitle,
  when,
} from '../ui';

export function MailingsPage() {
  const top = useRef<HTMLTableElement>(null);
  const pages = usePages(async (cursor) => {
    // The newest first: the mailing just saved or sent is at the top.
    const page = await api('get', '/v1/mailings', { query: { cursor, limit: 20, order: 'newest' } });
    const stats = await Promise.all(
      page.items.map((m) => api('get', '/v1/mailings/{id}/stats', { path: { id: m.id } })),
    );
    return { ...page, items: page.items.map((m, i) => ({ ...m, stats: stats[i]! })) };
  }, []);
  const sending = pages.data?.items.some((m) => m.status === 'sending');
  useEffect(() => {
    if (!sending) return;
    const timer = setInterval(() => void pages.reload(), 3_000);
    return () => clearInterval(timer);
  }, [sending, pages.reload]);
  useTitle('Mailings');

  return (
    <>
      <div className="title-row">
        <h1>Mailings</h1>
        <Link className="button" to="/mailings/new">
          New mailing
        </Link>
      </div>
      <ErrorText error={pages.error} retry={pages.reload} />
      {!pages.data && pages.loading && <Loading what="mailings" />}
      {pages.data && pages.data.items.length === 0 && (
        <p>No mailings yet. Create one with New mailing: it is saved as a draft, then you send it.</p>
      )}
      {pages.data && pages.data.items.length > 0 && (
        <div className="table-wrap">
          <table className="cards" ref={top} tabIndex={-1}>
            <caption className="visually-hidden">Mailings with their delivery numbers</caption>
            <thead>
              <tr>
                <th scope="col">Mailing</th>
                <th scope="col">Status</th>
                <th scope="col" className="num">
                  Delivered
                </th>
                <th scope="col" className="num">
                  Incorrect addresses
                </th>
                <th scope="col" className="num">
                  Technical problems
                </th>
                <th scope="col" className="num">
                  In progress
                </th>
                <th scope="col">Sent</th>
              </tr>
            </thead>
            <tbody>
              {pages.data.items.map((m) => (
                <tr key={m.id}>
                  <td className="wrap" data-label="Mailing">
                    <Link to={`/mailings/${m.id}`}>{m.name}</Link>
                    <div className="hint">{m.subject}</div>
                  </td>
                  <td data-label="Status">
                    <span className={`badge ${m.status}`}>{m.status}</span>
                  </td>
                  <td className="num" data-label="Delivered">
                    {m.stats.delivered}
                  </td>
                  <td className="num" data-label="Incorrect addresses">
                    {m.stats.incorrectAddresses}
                  </td>
                  <td className="num" data-label="Technical problems">
                    {m.stats.technicalProblems}
                  </td>
                  <td className="num" data-label="In progress">
                    {m.stats.inProgress}
                  </td>
                  <td data-label="Sent">{when(m.sentAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Pager label="mailings" number={pages.number} previous={pages.previous} next={pages.next} top={top} />
    </>
  );
}

/**
 * The From address's placeholder while the account has no verified sending domain (or they are
 * still loading): a domain of nobody's, where the hint names none either.
 */
const PLACEHOLDER_FROM = 'news@your-domain.example';

export function NewMailingPage() {
  const groups = useLoad(
    () => allPages((cursor) => api('get', '/v1/groups', { query: { cursor, limit: 1000 } })),
    [],
  );
  // Mailings go out from verified sending domains only: the first one fills the From address.
  const domains = useLoad(
    () => allPages((cursor) => api('get', '/v1/sending-domains', { query: { cursor, limit: 1000 } })),
    [],
  );
  const verified = domains.data?.filter((d) => d.verified).map((d) => d.domain);
  const [form, setForm] = useState({
    name: '',
    fromEmail: '',
    fromName: '',
    subject: '',
    text: '',
    html: '',
  });
  const [groupIds, setGroupIds] = useState<string[]>([]);
  const [error, setError] = useState<ApiError>();
  // Fields changed since the API named them: their old message is not shown any more.
  const [changed, setChanged] = useState<Set<string>>(new Set());
  const problemOf = (field: string) => (changed.has(field) ? undefined : error?.about(field));
  const [busy, setBusy] = useState(false);
  useTitle('New mailing');
  const firstVerified = verified?.[0];
  useEffect(() => {
    if (firstVerified) setForm((f) => (f.fromEmail ? f : { ...f, fromEmail: `news@${firstVerified}` }));
  }, [firstVerified]);

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (busy) return;
    setBusy(true);
    setError(undefined);
    setChanged(new Set());
    const body: NewMailing = {
      name: form.name,
      fromEmail: form.fromEmail,
      subject: form.subject,
      groupIds,
      ...(form.fromName.trim() && { fromName: form.fromName }),
      ...(form.text && { text: form.text }),
      ...(form.html && { html: form.html }),
    };
    try {
      const mailing = await api('post', '/v1/mailings', { body });
      navigate(`/mailings/${mailing.id}`);
    } catch (err) {
      setError(asApiError(err));
      setBusy(false);
    }
  }

  const field = (
    name: keyof typeof form,
    label: string,
    opts: {
      type?: string;
      multiline?: boolean;
      hint?: string;
      required?: boolean;
      placeholder?: string;
    } = {},
  ) => {
    const problem = problemOf(name);
    const described = [problem && `${name}-error`, opts.hint && `${name}-hint`].filter(Boolean).join(' ');
    const props = {
      id: `mailing-${name}`,
      name,
      value: form[name],
      required: opts.required,
      placeholder: opts.placeholder,
      'aria-invalid': problem ? true : undefined,
      'aria-describedby': described || undefined,
      onChange: (e: { target: { value: string } }) => {
        setForm((f) => ({ ...f, [name]: e.target.value }));
        setChanged((c) => new Set(c).add(name));
      },
    };
    return (
      <div className="field">
        <label htmlFor={props.id}>{label}</label>
        {opts.multiline ? <textarea rows={6} {...props} /> : <input type={opts.type ?? 'text'} {...props} />}
        {opts.hint && (
          <p className="hint" id={`${name}-hint`}>
            {opts.hint}
          </p>
        )}
        {problem && (
          <p className="error" id={`${name}-error`}>
            {problem}
          </p>
        )}
      </div>
    );
  };

  const groupsProblem = problemOf('groupIds');
  return (
    <>
      <h1>New mailing</h1>
      <form className="card form" onSubmit={(e) => void submit(e)} noValidate>
        {field('name', 'Name', { required: true, hint: 'For you: recipients do not see it.' })}
        {field('fromEmail', 'From address', {
          type: 'email',
          required: true,
          // The same domain as the one the hint names first (the field is filled with it to start with).
          placeholder: firstVerified ? `news@${firstVerified}` : PLACEHOLDER_FROM,
          hint: verified?.length
            ? `An address at a verified sending domain of your account: ${verified.join(', ')}.`
            : domains.data
              ? 'Your account has no verified sending domain yet: mailings cannot be sent until it has one.'
              : 'An address at a verified sending domain of your account.',
        })}
        {field('fromName', 'From name (optional)')}
        {field('subject', 'Subject', { required: true })}
        {field('text', 'Text', { multiline: true, hint: 'A text body, an HTML body, or both.' })}
        {field('html', 'HTML (optional)', { multiline: true })}
        <fieldset aria-describedby={groupsProblem ? 'groups-error' : undefined}>
          <legend>Send to the groups</legend>
          {/* The account's sending domains come back with its groups (they fill the From address). */}
          <ErrorText
            error={groups.error}
            retry={() => {
              void groups.reload();
              if (domains.error) void domains.reload();
            }}
          />
          {!groups.data && groups.loading && <Loading what="groups" />}
          {groups.data?.length === 0 && (
            <p>
              There are no groups yet: <Link to="/groups">create one</Link> and add contacts to it.
            </p>
          )}
          {groups.data?.map((g) => (
            <label key={g.id} className="check">
              <input
                type="checkbox"
                checked={groupIds.includes(g.id)}
                onChange={(e) => {
                  setGroupIds((ids) => (e.target.checked ? [...ids, g.id] : ids.filter((id) => id !== g.id)));
                  setChanged((c) => new Set(c).add('groupIds'));
                }}
              />
              {/* One box of text beside the checkbox: the count follows a long name's last line. */}
              <span>
                {g.name} <span className="hint">({plural(g.memberCount, 'member', 'members')})</span>
              </span>
            </label>
          ))}
          {groupsProblem && (
            <p className="error" id="groups-error">
              {groupIds.length ? groupsProblem : 'Choose at least one group.'}
            </p>
          )}
        </fieldset>
        {error && !error.details.length && <ErrorText error={error} />}
        {error && error.details.length > 0 && (
          <p className="error" role="alert">
            The mailing was not saved: see the fields marked above.
          </p>
        )}
        <div className="actions">
          {/* Not disabled while saving: a refused draft leaves the keyboard where it was. */}
          <Button type="submit" unavailable={busy}>
            Save draft
          </Button>
          <Link to="/mailings">Cancel</Link>
        </div>
        {busy && <Progress label="Saving the mailing…" />}
      </form>
    </>
  );
}
