/**
 * One mailing: its send (with a confirmation that says how many it will reach, then its progress)
 * and the delivery graph, which updates by itself while the mailing is sending. Each number links
 * to the recipients behind it.
 */
import { ArcElement, Chart as ChartJS, Tooltip } from 'chart.js';
import { useEffect, useRef, useState } from 'react';
import { Doughnut } from 'react-chartjs-2';
import { allPages, api, type ApiError, type DeliveryStatus, type Mailing, type Stats } from '../api';
import { Link } from '../router';
import {
  Button,
  ErrorText,
  Loading,
  NotFound,
  Progress,
  Section,
  asApiError,
  isNotFound,
  plural,
  useLoad,
  useTitle,
  when,
  words,
} from '../ui';

ChartJS.register(ArcElement, Tooltip);

/**
 * The four parts of the graph, in its order, with their colours and their recipients' status;
 * `one` names the status of one delivery (or the count of one).
 */
export const PARTS = [
  { key: 'delivered', label: 'Delivered', one: 'Delivered', status: 'delivered', colour: '#2f855a' },
  {
    key: 'incorrectAddresses',
    label: 'Incorrect addresses',
    one: 'Incorrect address',
    status: 'incorrect_address',
    colour: '#8a8f98',
  },
  {
    key: 'technicalProblems',
    label: 'Technical problems',
    one: 'Technical problem',
    status: 'technical_problem',
    colour: '#c05621',
  },
  { key: 'inProgress', label: 'In progress', one: 'In progress', status: 'in_progress', colour: '#2b6cb0' },
] as const satisfies readonly {
  key: keyof Stats;
  label: string;
  one: string;
  status: DeliveryStatus;
  colour: string;
}[];

const POLL_MS = 2_000;

/** The next attempt is read again when the number waiting changes, else at most this often. */
const NEXT_ATTEMPT_MS = 30_000;

export function MailingPage({ id }: { id: string }) {
  const next = useRef<{ id: string; retrying: number; at: number; nextAttemptAt: string | null }>(undefined);
  const view = useLoad(async () => {
    const [mailing, stats] = await Promise.all([
      api('get', '/v1/mailings/{id}', { path: { id } }),
      api('get', '/v1/mailings/{id}/stats', { path: { id } }),
    ]);
    // The next attempt: the earliest of the deliveries waiting to retry (among the first 1,000 of
    // them: the API lists recipients by id, not by their next attempt).
    const known = next.current;
    if (stats.retrying === 0) next.current = undefined;
    else if (
      !known ||
      known.id !== id ||
      known.retrying !== stats.retrying ||
      Date.now() - known.at > NEXT_ATTEMPT_MS
    ) {
      const waiting = await api('get', '/v1/mailings/{id}/recipients', {
        path: { id },
        query: { status: 'in_progress', limit: 1000 },
      });
      const nextAttemptAt =
        waiting.items
          .map((r) => r.nextAttemptAt)
          .filter((t): t is string => t !== null)
          .sort()[0] ?? null;
      next.current = { id, retrying: stats.retrying, at: Date.now(), nextAttemptAt };
    }
    return { mailing, stats, nextAttemptAt: next.current?.nextAttemptAt ?? null };
  }, [id]);

  const sending = view.data?.mailing.status === 'sending';
  const { reload } = view;
  useEffect(() => {
    if (!sending) return;
    const timer = setInterval(() => void reload(), POLL_MS);
    return () => clearInterval(timer);
  }, [sending, reload]);

  useTitle(
    view.data ? `Mailing “${view.data.mailing.name}”` : isNotFound(view.error) ? undefined : 'Mailing',
  );

  const crumbs = (
    <p className="crumbs">
      <Link to="/mailings">Mailings</Link> /
    </p>
  );
  if (isNotFound(view.error))
    return (
      <NotFound back={{ to: '/mailings', label: 'Back to the mailings' }}>{view.error!.message}</NotFound>
    );
  // Not loaded yet, or not at all (the service away): Try again, and it is tried again by itself;
  // once it is loaded, a sending mailing is polled from there on.
  if (!view.data)
    return (
      <>
        {crumbs}
        <h1>Mailing</h1>
        {view.error ? <ErrorText error={view.error} retry={reload} /> : <Loading what="the mailing" />}
      </>
    );
  const { mailing, stats, nextAttemptAt } = view.data;
  return (
    <>
      {crumbs}
      <div className="title-row">
        <h1>{mailing.name}</h1>
        <span className={`badge ${mailing.status}`}>{mailing.status}</span>
      </div>
      <p className="hint">
        From {mailing.fromName ? `${mailing.fromName} <${mailing.fromEmail}>` : mailing.fromEmail} · Subject “
        {mailing.subject}”
      </p>
      {/* A failed refresh while sending says so, and the last numbers stay. */}
      <ErrorText error={view.error} retry={reload} />
      {mailing.status === 'draft' ? (
        <SendPanel mailing={mailing} onSent={() => void reload()} />
      ) : (
        <>
          <SendProgress mailing={mailing} onSent={() => void reload()} />
          <Graph mailingId={id} stats={stats} nextAttemptAt={nextAttemptAt} live={sending} />
        </>
      )}
    </>
  );
}

/**
 * A send whose recipients are still not taken a minute after it was asked did not start (Temporal
 * was away when it was asked, and the API could not undo its mark): the API takes a second send
 * then (its STUCK_SEND_MS). Judged by this page's own clock, which need not agree with the server's:
 * a minute of watching it stuck, or a `sentAt` so old that no clock skew explains it.
 */
const STUCK_SEND_MS = 60_000;
const STUCK_WHATEVER_THE_CLOCK_MS = 5 * 60_000;

function SendProgress({ mailing, onSent }: { mailing: Mailing; onSent: () => void }) {
  // When this page first saw the mailing without its recipients (the page re-renders every poll).
  const waitingSince = useRef<{ id: string; at: number }>(undefined);
  if (mailing.recipients !== null || mailing.status !== 'sending') waitingSince.current = undefined;
  else if (waitingSince.current?.id !== mailing.id) waitingSince.current = { id: mailing.id, at: Date.now() };

  if (mailing.status === 'done')
    return (
      <p className="notice">
        Sent {when(mailing.sentAt)};{' '}
        {mailing.recipients === 1 ? 'its one delivery' : `all ${mailing.recipients} deliveries`} ended{' '}
        {when(mailing.doneAt)}.
      </p>
    );
  if (mailing.recipients === null) {
    const now = Date.now();
    const stuck =
      (waitingSince.current !== undefined && now - waitingSince.current.at > STUCK_SEND_MS) ||
      (mailing.sentAt !== null && now - Date.parse(mailing.sentAt) > STUCK_WHATEVER_THE_CLOCK_MS);
    return (
      <>
        <Progress label="Finding the recipients…" />
        {/* A live region from the start: the notice is announced when it appears. */}
        <div role="status">{stuck && <SendAgain mailing={mailing} onSent={onSent} />}</div>
      </>
    );
  }
  return (
    <Progress
      label={`Sending: ${mailing.deliveriesEnded} of ${mailing.recipients} deliveries ended (${mailing.deliveriesStarted} started)`}
      value={mailing.deliveriesEnded}
      max={Math.max(mailing.recipients, 1)}
    />
  );
}

function Graph({
  mailingId,
  stats,
  nextAttemptAt,
  live,
}: {
  mailingId: string;
  stats: Stats;
  nextAttemptAt: string | null;
  live: boolean;
}) {
  const summary = PARTS.map((p) => `${p.label}: ${stats[p.key]}`).join(', ');
  return (
    <Section title="Delivery graph" id="graph">
      <div className="graph">
        <div className="chart">
          <Doughnut
            role="img"
            aria-label={`Delivery graph of ${stats.total} recipients. ${summary}.`}
            data={{
              labels: PARTS.map((p) => p.label),
              datasets: [
                {
                  data: PARTS.map((p) => stats[p.key]),
                  backgroundColor: PARTS.map((p) => p.colour),
                  borderWidth: 2,
                },
              ],
            }}
            options={{
              animation: false,
              maintainAspectRatio: true,
              cutout: '58%',
              plugins: { legend: { display: false } },
            }}
          />
          <div className="chart-total" aria-hidden="true">
            <strong>{stats.total}</strong>
            <span>recipients</span>
          </div>
        </div>
        <ul className="legend">
          {PARTS.map((p) => (
            <li key={p.key}>
              <span className="swatch" style={{ background: p.colour }} aria-hidden="true" />
              <span className="legend-label">{p.label}</span>
              <Link
                className="count"
                to={`/mailings/${mailingId}/recipients?status=${p.status}`}
                aria-label={`${stats[p.key]} ${(stats[p.key] === 1 ? p.one : p.label).toLowerCase()}: show the contacts`}
              >
                {stats[p.key]}
              </Link>
              {p.key === 'inProgress' && stats.retrying > 0 && (
                <span className="legend-note">
                  {stats.retrying} waiting to retry
                  {nextAttemptAt && <>, next attempt {when(nextAttemptAt)}</>}
                </span>
              )}
            </li>
          ))}
        </ul>
      </div>
      {(stats.complaints > 0 || stats.unsubscribed > 0) && (
        <p className="hint">
          {plural(stats.complaints, 'spam complaint', 'spam complaints')} · {stats.unsubscribed} unsubscribed
        </p>
      )}
      {Object.keys(stats.byReason).length > 0 && (
        <details>
          <summary>By reason</summary>
          <ul className="reasons">
            {Object.entries(stats.byReason)
              .sort(([, a], [, b]) => b - a)
              .map(([reason, n]) => (
                <li key={reason}>
                  {words(reason)}: {n}
                </li>
              ))}
          </ul>
        </details>
      )}
      <p className="hint" aria-live="polite">
        {live ? 'Updating by itself while the mailing is sending.' : `Total ${stats.total}.`}{' '}
        <Link to={`/mailings/${mailingId}/recipients`}>All recipients</Link>
      </p>
    </Section>
  );
}

/** A send that did not start, sent again: the API answers 409 with the wait if it is too early. */
function SendAgain({ mailing, onSent }: { mailing: Mailing; onSent: () => void }) {
  const { send, sending, error } = useSend(mailing.id, onSent);
  return (
    <div className="notice">
      <p>The recipients have not been taken since {when(mailing.sentAt)}: the send may not have started.</p>
      <Button onClick={() => void send()} unavailable={sending}>
        Send again
      </Button>
      <ErrorText error={error} />
    </div>
  );
}

/**
 * Send, after a confirmation that says how many it will reach: the distinct active contacts of its
 * groups, counted now (the API takes them at the moment of the send).
 */
function SendPanel({ mailing, onSent }: { mailing: Mailing; onSent: () => void }) {
  const [count, setCount] = useState<{ recipients: number; groups: string[] }>();
  const [counting, setCounting] = useState<number>();
  const [countError, setCountError] = useState<ApiError>();
  const confirmRef = useRef<HTMLButtonElement>(null);
  const sendRef = useRef<HTMLButtonElement>(null);
  const cancelRef = useRef<HTMLButtonElement>(null);
  const { send, sending, error: sendError, clearError } = useSend(mailing.id, onSent);

  async function prepare() {
    if (counting !== undefined) return;
    setCountError(undefined);
    clearError();
    setCounting(0);
    try {
      const active = new Set<string>();
      const names: string[] = [];
      let loaded = 0;
      for (const groupId of mailing.groupIds) {
        const group = await api('get', '/v1/groups/{id}', { path: { id: groupId } });
        names.push(group.name);
        const members = await allPages(
          (cursor) =>
            api('get', '/v1/groups/{id}/members', { path: { id: groupId }, query: { cursor, limit: 1000 } }),
          (n) => setCounting(loaded + n),
        );
        loaded += members.length;
        members.filter((c) => c.status === 'active').forEach((c) => active.add(c.id));
      }
      setCount({ recipients: active.size, groups: names });
    } catch (err) {
      setCountError(asApiError(err));
    } finally {
      setCounting(undefined);
    }
  }
  // The keyboard follows the question: on its Send button when it is asked (on Cancel when there is
  // no one to send to), and back on Send… when it is cancelled (the button that had the focus is
  // gone with the question). Send… stays enabled while counting: it keeps the focus if that fails.
  const asked = useRef(false);
  useEffect(() => {
    if (count) (count.recipients === 0 ? cancelRef : confirmRef).current?.focus();
    else if (asked.current) sendRef.current?.focus();
    asked.current = count !== undefined;
  }, [count]);

  return (
    <Section title="Send" id="send">
      <p>This mailing is a draft.</p>
      {!count && (
        <Button ref={sendRef} onClick={() => void prepare()} unavailable={counting !== undefined}>
          Send…
        </Button>
      )}
      {counting !== undefined && (
        <Progress label={`Counting the recipients: ${plural(counting, 'contact', 'contacts')} read…`} />
      )}
      {count && (
        <div className="confirm" role="group" aria-labelledby="confirm-text">
          <p id="confirm-text">
            {count.recipients === 0 ? (
              <>This mailing would reach no one: its groups have no active contacts.</>
            ) : (
              <>
                Send “{mailing.name}” to <strong>{count.recipients}</strong>{' '}
                {count.recipients === 1 ? 'recipient' : 'recipients'}, the active contacts of{' '}
                {count.groups.join(', ')}?
              </>
            )}
          </p>
          <div className="actions">
            {/* No one to send to: no Send button, only the way back. */}
            {count.recipients > 0 && (
              <Button ref={confirmRef} onClick={() => void send()} unavailable={sending}>
                Send to {count.recipients} {count.recipients === 1 ? 'recipient' : 'recipients'}
              </Button>
            )}
            <Button
              ref={cancelRef}
              className="quiet"
              onClick={() => setCount(undefined)}
              unavailable={sending}
            >
              Cancel
            </Button>
          </div>
          {sending && <Progress label="Starting the send…" />}
        </div>
      )}
      <ErrorText error={countError ?? sendError} />
    </Section>
  );
}

/**
 * The send request. Once it is taken, the button stays disabled: the reload that follows shows the
 * mailing sending, and a second click could only be refused.
 */
function useSend(mailingId: string, onSent: () => void) {
  const [error, setError] = useState<ApiError>();
  const [sending, setSending] = useState(false);
  async function send() {
    if (sending) return;
    setSending(true);
    setError(undefined);
    try {
      await api('post', '/v1/mailings/{id}/send', { path: { id: mailingId } });
      onSent();
    } catch (err) {
      setError(asApiError(err));
      setSending(false);
    }
  }
  return { send, sending, error, clearError: () => setError(undefined) };
}
