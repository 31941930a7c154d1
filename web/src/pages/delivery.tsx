/** One delivery: every attempt with the server's reply, the next attempt, its history in the Temporal UI. */
import { api } from '../api';
import { Link } from '../router';
import { ErrorText, Loading, NotFound, Section, isNotFound, useLoad, useTitle, when, words } from '../ui';
import { PARTS } from './mailing';

export function DeliveryPage({ id }: { id: string }) {
  const view = useLoad(async () => {
    const delivery = await api('get', '/v1/deliveries/{id}', { path: { id } });
    const [mailing, contact] = await Promise.all([
      api('get', '/v1/mailings/{id}', { path: { id: delivery.mailingId } }),
      api('get', '/v1/contacts/{id}', { path: { id: delivery.contactId } }),
    ]);
    return { delivery, mailing, contact };
  }, [id]);
  useTitle(
    view.data ? `Delivery to ${view.data.delivery.email}` : isNotFound(view.error) ? undefined : 'Delivery',
  );
  if (isNotFound(view.error))
    return <NotFound back={{ to: '/mailings', label: 'Go to the mailings' }}>{view.error!.message}</NotFound>;
  // Not loaded yet, or not at all (the service away): Try again, and it is tried again by itself.
  if (!view.data)
    return (
      <>
        <p className="crumbs">
          <Link to="/mailings">Mailings</Link> /
        </p>
        <h1>Delivery</h1>
        {view.error ? <ErrorText error={view.error} retry={view.reload} /> : <Loading what="the delivery" />}
      </>
    );
  const { delivery: d, mailing, contact } = view.data;
  const part = PARTS.find((p) => p.status === d.status);
  const incorrect = contact.status === 'incorrect';
  return (
    <>
      <p className="crumbs">
        <Link to="/mailings">Mailings</Link> / <Link to={`/mailings/${mailing.id}`}>{mailing.name}</Link> /{' '}
        <Link to={`/mailings/${mailing.id}/recipients?status=${d.status}`}>{part?.label}</Link> /
      </p>
      <h1 className={incorrect ? 'incorrect' : undefined}>
        {d.email}
        {incorrect && <span className="tag">incorrect address</span>}
      </h1>
      <dl className="facts card">
        <dt>Status</dt>
        <dd>{part?.one ?? d.status}</dd>
        <dt>Reason</dt>
        <dd>{words(d.reason)}</dd>
        <dt>Category</dt>
        <dd>{words(d.category)}</dd>
        <dt>Next attempt</dt>
        <dd>{d.nextAttemptAt ? when(d.nextAttemptAt) : 'none'}</dd>
        <dt>History</dt>
        <dd>
          <a href={d.temporalUiUrl} target="_blank" rel="noreferrer">
            Workflow {d.workflowId} in the Temporal UI
          </a>
        </dd>
      </dl>
      <Section title={`Attempts (${d.attempts.length})`} id="attempts">
        {d.attempts.length === 0 ? (
          <p>No attempt yet.</p>
        ) : (
          <div className="table-wrap">
            <table className="cards">
              <thead>
                <tr>
                  <th scope="col" className="num">
                    #
                  </th>
                  <th scope="col">When</th>
                  <th scope="col">Reply</th>
                  <th scope="col">Category</th>
                  <th scope="col">Reason</th>
                  <th scope="col">Server</th>
                </tr>
              </thead>
              <tbody>
                {d.attempts.map((a) => (
                  <tr key={a.n}>
                    <td className="num" data-label="#">
                      {a.n}
                    </td>
                    <td data-label="When">
                      {when(a.at)}
                      {a.late && <span className="tag">late report</span>}
                    </td>
                    <td className="reply" data-label="Reply">
                      {a.reply ?? '—'}
                    </td>
                    <td data-label="Category">{words(a.category)}</td>
                    <td data-label="Reason">{words(a.reason)}</td>
                    <td className="wrap" data-label="Server">
                      {a.mx ?? '—'}
                      {a.phase && <div className="hint">{a.phase}</div>}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Section>
    </>
  );
}
