/** Groups with their member counts; a group's members, one removed at a time. */
import { type FormEvent, useState } from 'react';
import { api, type ApiError } from '../api';
import { Link } from '../router';
import { ErrorText, Loading, Pager, Section, asApiError, useLoad, usePages, when } from '../ui';

export function GroupsPage() {
  const [version, setVersion] = useState(0);
  const pages = usePages((cursor) => api('get', '/v1/groups', { query: { cursor, limit: 50 } }), [version]);
  return (
    <>
      <h1>Groups</h1>
      <ErrorText error={pages.error} />
      {!pages.data && pages.loading && <Loading what="groups" />}
      {pages.data?.items.length === 0 && <p>No groups yet.</p>}
      {pages.data && pages.data.items.length > 0 && (
        <div className="table-wrap">
          <table className="cards">
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
                  <td data-label="Group">
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
      <Pager label="groups" number={pages.number} previous={pages.previous} next={pages.next} />
      <CreateGroup onCreated={() => setVersion((v) => v + 1)} />
    </>
  );
}

function CreateGroup({ onCreated }: { onCreated: () => void }) {
  const [name, setName] = useState('');
  const [error, setError] = useState<ApiError>();
  const [busy, setBusy] = useState(false);
  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await api('post', '/v1/groups', { body: { name } });
      setName('');
      onCreated();
    } catch (err) {
      setError(asApiError(err));
    } finally {
      setBusy(false);
    }
  }
  return (
    <Section title="Create a group" id="create-group">
      <form className="inline" onSubmit={(e) => void submit(e)}>
        <label htmlFor="group-name">Name</label>
        <input
          id="group-name"
          value={name}
          onChange={(e) => setName(e.target.value)}
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? 'group-name-error' : undefined}
        />
        <button type="submit" disabled={busy || !name.trim()}>
          Create group
        </button>
        <ErrorText error={error} id="group-name-error" />
      </form>
    </Section>
  );
}

export function GroupPage({ id }: { id: string }) {
  const [version, setVersion] = useState(0);
  const group = useLoad(() => api('get', '/v1/groups/{id}', { path: { id } }), [id, version]);
  const pages = usePages(
    (cursor) => api('get', '/v1/groups/{id}/members', { path: { id }, query: { cursor, limit: 50 } }),
    [id, version],
  );
  const [removing, setRemoving] = useState<string>();
  const [failure, setFailure] = useState<{ contactId: string; error: ApiError }>();

  async function remove(contactId: string) {
    setRemoving(contactId);
    setFailure(undefined);
    try {
      await api('delete', '/v1/groups/{id}/members/{contactId}', { path: { id, contactId } });
      setVersion((v) => v + 1);
    } catch (err) {
      setFailure({ contactId, error: asApiError(err) });
    } finally {
      setRemoving(undefined);
    }
  }

  return (
    <>
      <p className="crumbs">
        <Link to="/groups">Groups</Link> /
      </p>
      <h1>
        {group.data?.name ?? 'Group'}
        {group.data && <span className="count-badge">{group.data.memberCount}</span>}
      </h1>
      <ErrorText error={group.error ?? pages.error} />
      {!pages.data && pages.loading && <Loading what="members" />}
      {pages.data?.items.length === 0 && <p>This group has no members.</p>}
      {pages.data && pages.data.items.length > 0 && (
        <div className="table-wrap">
          <table className="cards">
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
                  <td data-label="Member">
                    {c.email}
                    {(c.firstName || c.lastName) && (
                      <div className="hint">{[c.firstName, c.lastName].filter(Boolean).join(' ')}</div>
                    )}
                  </td>
                  <td data-label="Status">{c.status}</td>
                  {/* On a phone the button ends the member's card: its words need no column name. */}
                  <td className="action">
                    <button
                      type="button"
                      className="quiet"
                      onClick={() => void remove(c.id)}
                      disabled={removing !== undefined}
                      aria-label={`Remove ${c.email} from the group`}
                    >
                      Remove
                    </button>
                    {failure?.contactId === c.id && <ErrorText error={failure.error} />}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Pager label="members" number={pages.number} previous={pages.previous} next={pages.next} />
    </>
  );
}
