/** Groups with their member counts; a group's members, one removed at a time. */
import { type FormEvent, useEffect, useRef, useState } from 'react';
import { allPages, api, type ApiError, type Group } from '../api';
import { Link } from '../router';
import {
  Button,
  ErrorText,
  Loading,
  NotFound,
  Pager,
  Section,
  asApiError,
  isNotFound,
  useLoad,
  usePages,
  useTitle,
  when,
} from '../ui';

export function GroupsPage() {
  const [version, setVersion] = useState(0);
  const pages = usePages((cursor) => api('get', '/v1/groups', { query: { cursor, limit: 50 } }), [version]);
  const top = useRef<HTMLTableElement>(null);
  useTitle('Groups');
  return (
    <>
      <h1>Groups</h1>
      <ErrorText error={pages.error} retry={pages.reload} />
      {!pages.data && pages.loading && <Loading what="groups" />}
      {pages.data?.items.length === 0 && <p>No groups yet.</p>}
      {pages.data && pages.data.items.length > 0 && (
        <div className="table-wrap">
          <table className="cards" ref={top} tabIndex={-1}>
            <thead>
              <tr>
                <th scope="col">Group</th>
                <th scope="col" className="num">
                  Members
                </th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {pages.data.items.map((g) => (
                <tr key={g.id}>
                  <td className="wrap" data-label="Group">
                    <Link to={`/groups/${g.id}`}>{g.name}</Link>
                  </td>
                  <td className="num" data-label="Members">
                    {g.memberCount}
                  </td>
                  <td data-label="Created">{when(g.createdAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Pager label="groups" number={pages.number} previous={pages.previous} next={pages.next} top={top} />
      <CreateGroup onCreated={() => setVersion((v) => v + 1)} />
    </>
  );
}

/**
 * A new group, unless one of that name exists: the API would make a second one of the same name,
 * which no list or dropdown could tell apart (the Add-to-group dialog reuses a group by its name).
 */
function CreateGroup({ onCreated }: { onCreated: () => void }) {
  const [name, setName] = useState('');
  const [error, setError] = useState<ApiError>();
  const [taken, setTaken] = useState<Group>();
  const [created, setCreated] = useState<string>();
  const [busy, setBusy] = useState(false);
  async function submit(e: FormEvent) {
    e.preventDefault();
    if (busy || !name.trim()) return;
    setBusy(true);
    setError(undefined);
    setTaken(undefined);
    setCreated(undefined);
    try {
      // The API stores the name trimmed, and a name is the same only when it is exactly the same.
      const wanted = name.trim();
      const groups = await allPages((cursor) => api('get', '/v1/groups', { query: { cursor, limit: 1000 } }));
      const same = groups.find((g) => g.name === wanted);
      if (same) return setTaken(same);
      const group = await api('post', '/v1/groups', { body: { name } });
      setName('');
      setCreated(group.name);
      onCreated();
    } catch (err) {
      setError(asApiError(err));
    } finally {
      setBusy(false);
    }
  }
  // The API's words about the name go under it; anything else (the service away) says itself.
  const problem = error?.about('name');
  const invalid = Boolean(problem || taken);
  return (
    <Section title="Create a group" id="create-group">
      <form className="inline" onSubmit={(e) => void submit(e)}>
        <label htmlFor="group-name">Name</label>
        <input
          id="group-name"
          value={name}
          onChange={(e) => {
            setName(e.target.value);
            setCreated(undefined);
          }}
          aria-invalid={invalid ? true : undefined}
          aria-describedby={invalid ? 'group-name-error' : undefined}
        />
        {/* Not disabled once the name is emptied by a creation: the keyboard stays on it. */}
        <Button type="submit" unavailable={busy || !name.trim()}>
          Create group
        </Button>
        {created && (
          <p className="success" role="status">
            Created the group “{created}”.
          </p>
        )}
        {taken && (
          <p className="error" role="alert" id="group-name-error">
            A group named “<Link to={`/groups/${taken.id}`}>{taken.name}</Link>” already exists.
          </p>
        )}
        <ErrorText error={problem} id="group-name-error" />
        {error && !problem && <ErrorText error={error} />}
      </form>
    </Section>
  );
}

export function GroupPage({ id }: { id: string }) {
  const group = useLoad(() => api('get', '/v1/groups/{id}', { path: { id } }), [id]);
  const pages = usePages(
    (cursor) => api('get', '/v1/groups/{id}/members', { path: { id }, query: { cursor, limit: 50 } }),
    [id],
  );
  const [removing, setRemoving] = useState<string>();
  const [failure, setFailure] = useState<{ contactId: string; error: ApiError }>();
  const top = useRef<HTMLTableElement>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  useTitle(group.data ? `Group “${group.data.name}”` : isNotFound(group.error) ? undefined : 'Group');
  // A removed member's button goes with its row: once the page without it is shown, the keyboard
  // goes on from the next member's Remove (the one now at its place; the one before at the end, or
  // the last of the page before when its page emptied), else from the list or the title.
  const [refocus, setRefocus] = useState<{ removed: string; at: number; page: number }>();
  useEffect(() => {
    const items = pages.data?.items;
    if (!refocus || !items || !pages.settled || items.some((c) => c.id === refocus.removed)) return;
    setRefocus(undefined);
    const then = refocus.page === pages.number ? (items[refocus.at] ?? items[refocus.at - 1]) : items.at(-1);
    const button = top.current?.querySelector<HTMLButtonElement>(`button[data-contact="${then?.id}"]`);
    (button ?? top.current ?? heading.current)?.focus();
  }, [refocus, pages.data, pages.settled, pages.number]);

  async function remove(contactId: string) {
    if (removing !== undefined) return;
    setRemoving(contactId);
    setFailure(undefined);
    try {
      await api('delete', '/v1/groups/{id}/members/{contactId}', { path: { id, contactId } });
      const at = (pages.data?.items ?? []).findIndex((c) => c.id === contactId);
      setRefocus({ removed: contactId, at, page: pages.number });
      // This page again (its next member moves up into it), not the first: the count with it.
      void group.reload();
      void pages.reload();
    } catch (err) {
      setFailure({ contactId, error: asApiError(err) });
    } finally {
      setRemoving(undefined);
    }
  }

  if (isNotFound(group.error))
    return <NotFound back={{ to: '/groups', label: 'Back to the groups' }}>{group.error!.message}</NotFound>;
  return (
    <>
      <p className="crumbs">
        <Link to="/groups">Groups</Link> /
      </p>
      <h1 ref={heading} tabIndex={-1}>
        {group.data?.name ?? 'Group'}
        {group.data && <span className="count-badge">{group.data.memberCount}</span>}
      </h1>
      <ErrorText
        error={group.error ?? pages.error}
        retry={() => {
          void group.reload();
          void pages.reload();
        }}
      />
      {!pages.data && pages.loading && <Loading what="members" />}
      {pages.data?.items.length === 0 && <p>This group has no members.</p>}
      {pages.data && pages.data.items.length > 0 && (
        <div className="table-wrap">
          <table className="cards" ref={top} tabIndex={-1}>
            <thead>
              <tr>
                <th scope="col">Member</th>
                <th scope="col">Status</th>
                <th scope="col">
                  <span className="visually-hidden">Remove</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {pages.data.items.map((c) => (
                <tr key={c.id}>
                  <td className="wrap" data-label="Member">
                    {c.email}
                    {(c.firstName || c.lastName) && (
                      <div className="hint">{[c.firstName, c.lastName].filter(Boolean).join(' ')}</div>
                    )}
                  </td>
                  <td data-label="Status">{c.status}</td>
                  {/* On a phone the button ends the member's card: its words need no column name. */}
                  <td className="action">
                    <Button
                      className="quiet"
                      onClick={() => void remove(c.id)}
                      unavailable={removing !== undefined}
                      data-contact={c.id}
                      aria-label={`Remove ${c.email} from the group`}
                    >
                      Remove
                    </Button>
                    {failure?.contactId === c.id && <ErrorText error={failure.error} />}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Pager label="members" number={pages.number} previous={pages.previous} next={pages.next} top={top} />
    </>
  );
}
