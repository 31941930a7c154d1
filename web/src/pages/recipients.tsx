/**
 * The recipients behind one number of the delivery graph: paginated, each with its reason, attempts
 * and last reply; incorrect addresses in grey. The technical problems can be selected (the box above
 * the table selects every page) and added to a group.
 */
import { type FormEvent, useEffect, useRef, useState } from 'react';
import { allPages, api, ApiError, type DeliveryStatus, type Group, type Recipient } from '../api';
import { Link } from '../router';
import {
  Button,
  ErrorText,
  Loading,
  NotFound,
  Pager,
  Progress,
  asApiError,
  isNotFound,
  plural,
  useLoad,
  usePages,
  useTitle,
  when,
  words,
} from '../ui';
import { PARTS } from './mailing';

const PAGE_SIZE = 25;
const pageSize = (asked: string | null) => Math.min(Math.max(Number(asked) || PAGE_SIZE, 1), 1000);

/** Which rows are selected: every technical problem (all pages), or these contacts. */
type Selection = { all: true } | { all: false; ids: Set<string> };

export function RecipientsPage({
  mailingId,
  status,
  limit,
}: {
  mailingId: string;
  status: string | null;
  /** Rows a page (`?limit=`), 25 unless asked. */
  limit: string | null;
}) {
  const part = PARTS.find((p) => p.status === status);
  const filter = part?.status;
  const head = useLoad(
    () =>
      Promise.all([
        api('get', '/v1/mailings/{id}', { path: { id: mailingId } }),
        api('get', '/v1/mailings/{id}/stats', { path: { id: mailingId } }),
      ]),
    [mailingId],
  );
  const pages = usePages(
    (cursor) =>
      api('get', '/v1/mailings/{id}/recipients', {
        path: { id: mailingId },
        query: { status: filter, cursor, limit: pageSize(limit) },
      }),
    [mailingId, filter, limit],
  );
  const selectable = filter === 'technical_problem';
  const [selection, setSelection] = useState<Selection>({ all: false, ids: new Set() });
  const [expanding, setExpanding] = useState(false);
  const [dialogOpen, setDialogOpen] = useState(false);
  const openerRef = useRef<HTMLButtonElement>(null);
  const wasOpen = useRef(false);
  // Once the dialog is gone (not before: outside an open modal dialog nothing takes focus), the
  // keyboard is back on the button that opened it, not at the top of the page.
  useEffect(() => {
    if (wasOpen.current && !dialogOpen) openerRef.current?.focus();
    wasOpen.current = dialogOpen;
  }, [dialogOpen]);
  const [result, setResult] = useState<string>();
  const [error, setError] = useState<ApiError>();
  const top = useRef<HTMLTableElement>(null);
  useEffect(() => setSelection({ all: false, ids: new Set() }), [mailingId, filter]);

  const total = head.data ? (part ? head.data[1][part.key] : head.data[1].total) : undefined;
  const items = pages.data?.items ?? [];
  const isSelected = (r: Recipient) => selection.all || selection.ids.has(r.contactId);
  const selectedCount = selection.all ? (total ?? 0) : selection.ids.size;
  const pageAllSelected = items.length > 0 && items.every(isSelected);

  async function toggleRow(r: Recipient, on: boolean) {
    if (!selection.all) {
      const ids = new Set(selection.ids);
      if (on) ids.add(r.contactId);
      else ids.delete(r.contactId);
      return setSelection({ all: false, ids });
    }
    // "All but this one": the ids of every page are needed now.
    setExpanding(true);
    try {
      const everyone = await allPages((cursor) =>
        api('get', '/v1/mailings/{id}/recipients', {
          path: { id: mailingId },
          query: { status: 'technical_problem', cursor, limit: 1000 },
        }),
      );
      const ids = new Set(everyone.map((x) => x.contactId));
      ids.delete(r.contactId);
      setSelection({ all: false, ids });
    } catch (err) {
      setError(asApiError(err));
    } finally {
      setExpanding(false);
    }
  }

  const title = part ? part.label : 'All recipients';
  const notFound = isNotFound(head.error) ? head.error : isNotFound(pages.error) ? pages.error : undefined;
  useTitle(notFound ? undefined : head.data ? `${title} of “${head.data[0].name}”` : title);
  if (notFound)
    return <NotFound back={{ to: '/mailings', label: 'Back to the mailings' }}>{notFound.message}</NotFound>;
  return (
    <>
      {/* The mailing's link whether or not its name is loaded yet (or could be). */}
      <p className="crumbs">
        <Link to="/mailings">Mailings</Link> /{' '}
        <Link to={`/mailings/${mailingId}`}>{head.data?.[0].name ?? 'The mailing'}</Link> /
      </p>
      <h1>
        {title}
        {total !== undefined && <span className="count-badge">{total}</span>}
      </h1>
      <nav className="tabs" aria-label="Recipients by status">
        <Link to={`/mailings/${mailingId}/recipients`} aria-current={!filter ? 'page' : undefined}>
          All
        </Link>
        {PARTS.map((p) => (
          <Link
            key={p.status}
            to={`/mailings/${mailingId}/recipients?status=${p.status}`}
            aria-current={filter === p.status ? 'page' : undefined}
          >
            {p.label}
          </Link>
        ))}
      </nav>
      <ErrorText
        error={head.error ?? pages.error}
        retry={() => {
          void head.reload();
          void pages.reload();
        }}
      />
      {selectable && (
        <div className="toolbar">
          <button
            type="button"
            ref={openerRef}
            onClick={() => {
              setResult(undefined);
              setDialogOpen(true);
            }}
            disabled={selectedCount === 0}
          >
            Add to group
          </button>
          <span aria-live="polite">
            {!selection.all
              ? `${selectedCount} selected.`
              : selectedCount === 1
                ? 'The one technical problem is selected.'
                : `All ${selectedCount} technical problems are selected, on every page.`}
          </span>
          {expanding && <Progress label="Reading the selection…" />}
        </div>
      )}
      {result && (
        <p className="success" role="status">
          {result}
        </p>
      )}
      <ErrorText error={error} />
      {!pages.data && pages.loading && <Loading what="the recipients" />}
      {pages.data && items.length === 0 && <p>No recipients here.</p>}
      {items.length > 0 && (
        <div className="table-wrap">
          <table className="cards" ref={top} tabIndex={-1}>
            <caption className="visually-hidden">
              {title}: reason, attempts and last reply of each delivery. Incorrect addresses are grey.
            </caption>
            <thead>
              <tr>
                {selectable && (
                  <th scope="col" className="select">
                    <input
                      type="checkbox"
                      aria-label="Select all technical problems, on every page"
                      checked={selection.all}
                      ref={(el) => {
                        if (el) el.indeterminate = !selection.all && selection.ids.size > 0;
                      }}
                      onChange={(e) =>
                        setSelection(e.target.checked ? { all: true } : { all: false, ids: new Set() })
                      }
                    />
                    {/* The other column names give way to labels on a phone; this box keeps its words. */}
                    <span className="phone-only" aria-hidden="true">
                      Select all, on every page
                    </span>
                  </th>
                )}
                <th scope="col">Email</th>
                {!filter && <th scope="col">Status</th>}
                <th scope="col">Reason</th>
                <th scope="col" className="num">
                  Attempts
                </th>
                <th scope="col">Last reply</th>
                <th scope="col">{filter === 'in_progress' ? 'Next attempt' : 'Last attempt'}</th>
              </tr>
            </thead>
            <tbody>
              {items.map((r) => (
                <tr key={r.deliveryId} className={r.contactIncorrect ? 'incorrect' : undefined}>
                  {selectable && (
                    <td className="select">
                      <input
                        type="checkbox"
                        aria-label={`Select ${r.email}`}
                        checked={isSelected(r)}
                        disabled={expanding}
                        onChange={(e) => void toggleRow(r, e.target.checked)}
                      />
                    </td>
                  )}
                  <td className="wrap" data-label="Email">
                    <Link to={`/deliveries/${r.deliveryId}`}>{r.email}</Link>
                    {r.contactIncorrect && <span className="tag">incorrect address</span>}
                  </td>
                  {!filter && <td data-label="Status">{statusLabel(r.status)}</td>}
                  <td data-label="Reason">{words(r.reason)}</td>
                  <td className="num" data-label="Attempts">
                    {r.attempts}
                  </td>
                  <td className="reply" data-label="Last reply">
                    {r.lastReply ?? '—'}
                  </td>
                  <td data-label={filter === 'in_progress' ? 'Next attempt' : 'Last attempt'}>
                    {when(filter === 'in_progress' ? r.nextAttemptAt : r.lastAttemptAt)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {selectable && !selection.all && pageAllSelected && (total ?? 0) > items.length && (
        <p>
          All {items.length} on this page are selected.{' '}
          <button type="button" className="link" onClick={() => setSelection({ all: true })}>
            Select all {total}
          </button>
        </p>
      )}
      <Pager label="recipients" number={pages.number} previous={pages.previous} next={pages.next} top={top} />
      {dialogOpen && (
        <AddToGroupDialog
          mailingId={mailingId}
          selection={selection}
          count={selectedCount}
          onClose={(message) => {
            setDialogOpen(false);
            if (message) setResult(message);
          }}
        />
      )}
    </>
  );
}

/** A row is one delivery: its status in the singular ("Incorrect address"). */
const statusLabel = (s: DeliveryStatus) => PARTS.find((p) => p.status === s)?.one ?? s;

/** Add to an existing group (a dropdown) or to a new one (a name); says how many were added. */
function AddToGroupDialog({
  mailingId,
  selection,
  count,
  onClose,
}: {
  mailingId: string;
  selection: Selection;
  count: number;
  onClose: (result?: string) => void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const groups = useLoad(
    () => allPages((cursor) => api('get', '/v1/groups', { query: { cursor, limit: 1000 } })),
    [],
  );
  const [target, setTarget] = useState<'existing' | 'new'>('existing');
  const [groupId, setGroupId] = useState('');
  const [name, setName] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError>();
  const [done, setDone] = useState<string>();
  const doneRef = useRef<HTMLButtonElement>(null);
  // The Add button is gone once it worked: the keyboard goes on from Done (autoFocus does not
  // reach into an open modal dialog).
  useEffect(() => {
    if (done) doneRef.current?.focus();
  }, [done]);

  useEffect(() => {
    const dialog = ref.current!;
    dialog.showModal();
    return () => dialog.close();
  }, []);
  // No groups yet: a new one is the only choice.
  useEffect(() => {
    if (groups.data?.length === 0) setTarget('new');
    else if (groups.data && !groupId) setGroupId(groups.data[0]!.id);
  }, [groups.data, groupId]);

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (busy || (target === 'new' ? !name.trim() : !chosen)) return;
    setBusy(true);
    setError(undefined);
    try {
      const { added, alreadyMembers, group } = await addSelection(
        mailingId,
        selection,
        target,
        groupId,
        name,
        groups.data,
      );
      setDone(
        `Added ${added} ${added === 1 ? 'contact' : 'contacts'} to “${group}”; ` +
          `${alreadyMembers} ${alreadyMembers === 1 ? 'was' : 'were'} already ${alreadyMembers === 1 ? 'a member' : 'members'}.`,
      );
    } catch (err) {
      setError(asApiError(err));
    } finally {
      setBusy(false);
    }
  }

  const chosen: Group | undefined = groups.data?.find((g) => g.id === groupId);
  // The API's words about the chosen field go under it; anything else under the form.
  const groupProblem = target === 'existing' ? error?.about('groupId') : undefined;
  const nameProblem = target === 'new' ? error?.about('newGroup') : undefined;
  // A "new" group whose name a group has already is that group (both ways of adding take it).
  const named = name.trim() ? groups.data?.find((g) => g.name === name.trim()) : undefined;
  const nameNotes = [nameProblem && 'new-group-name-error', named && 'new-group-name-exists'].filter(Boolean);
  return (
    <dialog ref={ref} className="dialog" aria-labelledby="add-title" onCancel={() => onClose(done)}>
      <form onSubmit={(e) => void submit(e)}>
        <h2 id="add-title">Add {plural(count, 'technical problem', 'technical problems')} to a group</h2>
        {/* Not disabled while adding: the field that had the focus (Enter in the name) keeps it. */}
        <fieldset disabled={done !== undefined}>
          <legend className="visually-hidden">Which group</legend>
          <label className="check">
            <input
              type="radio"
              name="target"
              value="existing"
              checked={target === 'existing'}
              disabled={groups.data?.length === 0}
              onChange={() => setTarget('existing')}
            />
            Add to existing group
          </label>
          <div className="indent">
            <label htmlFor="existing-group" className="visually-hidden">
              Existing group
            </label>
            <select
              id="existing-group"
              value={groupId}
              disabled={target !== 'existing' || !groups.data?.length}
              onChange={(e) => setGroupId(e.target.value)}
              aria-invalid={groupProblem ? true : undefined}
              aria-describedby={groupProblem ? 'existing-group-error' : undefined}
            >
              {groups.data?.map((g) => (
                <option key={g.id} value={g.id}>
                  {g.name} ({g.memberCount})
                </option>
              ))}
            </select>
            {!groups.data && groups.loading && <Loading what="groups" />}
            <ErrorText error={groups.error} retry={groups.reload} />
            <ErrorText error={groupProblem} id="existing-group-error" />
          </div>
          <label className="check">
            <input
              type="radio"
              name="target"
              value="new"
              checked={target === 'new'}
              onChange={() => setTarget('new')}
            />
            Add to a new group
          </label>
          <div className="indent">
            <label htmlFor="new-group-name">New group’s name</label>
            <input
              id="new-group-name"
              value={name}
              onChange={(e) => {
                setName(e.target.value);
                // Typing a name chooses a new group; passing through with Tab changes nothing.
                if (e.target.value.trim()) setTarget('new');
              }}
              aria-invalid={nameProblem ? true : undefined}
              aria-describedby={nameNotes.join(' ') || undefined}
            />
            {named && (
              <p className="hint" id="new-group-name-exists">
                A group of this name exists already: they are added to it.
              </p>
            )}
            <ErrorText error={nameProblem} id="new-group-name-error" />
          </div>
        </fieldset>
        {!groupProblem && !nameProblem && <ErrorText error={error} />}
        {busy && <Progress label="Adding…" />}
        {done && (
          <p className="success" role="status">
            {done}
          </p>
        )}
        <div className="actions">
          {done ? (
            <button type="button" ref={doneRef} onClick={() => onClose(done)}>
              Done
            </button>
          ) : (
            <>
              <Button type="submit" unavailable={busy || (target === 'new' ? !name.trim() : !chosen)}>
                Add
              </Button>
              <button type="button" className="quiet" onClick={() => onClose()}>
                Cancel
              </button>
            </>
          )}
        </div>
      </form>
    </dialog>
  );
}

/**
 * Every technical problem: one call that gathers them on the server, whatever their number. A
 * choice of rows: their contacts added to the group, 10,000 a call. A new group is the one of that
 * name when there is one (as the server's call does), else it is created first.
 */
async function addSelection(
  mailingId: string,
  selection: Selection,
  target: 'existing' | 'new',
  groupId: string,
  name: string,
  known: Group[] | undefined,
): Promise<{ added: number; alreadyMembers: number; group: string }> {
  if (selection.all) {
    const r = await api('post', '/v1/mailings/{id}/technical-problems/add-to-group', {
      path: { id: mailingId },
      body: target === 'new' ? { newGroup: { name } } : { groupId },
    });
    const group = await api('get', '/v1/groups/{id}', { path: { id: r.groupId } });
    return { added: r.added, alreadyMembers: r.alreadyMembers, group: group.name };
  }
  const group =
    target === 'new'
      ? await groupNamed(name, known)
      : await api('get', '/v1/groups/{id}', { path: { id: groupId } });
  const ids = [...selection.ids];
  let added = 0;
  let alreadyMembers = 0;
  for (let i = 0; i < ids.length; i += 10_000) {
    const r = await api('post', '/v1/groups/{id}/members', {
      path: { id: group.id },
      body: { contactIds: ids.slice(i, i + 10_000) },
    });
    added += r.added;
    alreadyMembers += r.alreadyMembers;
  }
  return { added, alreadyMembers, group: group.name };
}

/**
 * The account's group of exactly that name (trimmed, as the API stores it; the first made, as the
 * server's add-to-group takes it), or a new one. The groups the dialog loaded are used when there.
 */
async function groupNamed(name: string, known: Group[] | undefined): Promise<Group> {
  const groups =
    known ?? (await allPages((cursor) => api('get', '/v1/groups', { query: { cursor, limit: 1000 } })));
  const wanted = name.trim();
  const same = groups
    .filter((g) => g.name === wanted)
    .sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1))[0];
  if (same) return same;
  try {
    return await api('post', '/v1/groups', { body: { name } });
  } catch (err) {
    // Its `name` is the dialog's new group's name, as the select-all call names it.
    const failure = asApiError(err);
    throw new ApiError(
      failure.status,
      failure.code,
      failure.message,
      failure.details.map((d) => (d.field === 'name' ? { ...d, field: 'newGroup.name' } : d)),
    );
  }
}
