/** The frame of every page (navigation, sign out) and which page a path shows. */
import { useEffect, useRef, useState } from 'react';
import { session, whenUnauthorized } from './api';
import { ContactsPage } from './pages/contacts';
import { DeliveryPage } from './pages/delivery';
import { GroupPage, GroupsPage } from './pages/groups';
import { IncorrectPage } from './pages/incorrect';
import { MailingPage } from './pages/mailing';
import { MailingsPage, NewMailingPage } from './pages/mailings';
import { RecipientsPage } from './pages/recipients';
import { SignInPage } from './pages/sign-in';
import { Link, match, navigate, useLocation } from './router';
import { NotFound } from './ui';

export function App() {
  const { path, query } = useLocation();
  const [signedIn, setSignedIn] = useState(() => session.key() !== null);
  const [notice, setNotice] = useState<string>();

  // After a move to another page, the focus goes to its content (not left on a link that is gone).
  const firstPath = useRef(path);
  useEffect(() => {
    if (path !== firstPath.current) document.getElementById('main')?.focus();
    firstPath.current = '';
  }, [path]);

  useEffect(() => {
    whenUnauthorized((message) => {
      session.signOut();
      setSignedIn(false);
      setNotice(message);
    });
  }, []);

  if (!signedIn)
    return (
      <SignInPage
        notice={notice}
        onSignedIn={() => {
          setNotice(undefined);
          setSignedIn(true);
          if (path === '/' || path === '/sign-in') navigate('/mailings', { replace: true });
        }}
      />
    );

  const signOut = () => {
    session.signOut();
    setSignedIn(false);
    navigate('/', { replace: true });
  };
  const section = path.split('/')[1] || 'mailings';
  return (
    <>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="top">
        <span className="brand">Deliverability</span>
        <nav aria-label="Main">
          {(
            [
              ['mailings', 'Mailings'],
              ['contacts', 'Contacts'],
              ['groups', 'Groups'],
            ] as const
          ).map(([to, label]) => (
            <Link key={to} to={`/${to}`} aria-current={section === to ? 'page' : undefined}>
              {label}
            </Link>
          ))}
        </nav>
        <button type="button" className="quiet" onClick={signOut}>
          Sign out
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        <Page path={path} query={query} />
      </main>
    </>
  );
}

function Page({ path, query }: { path: string; query: URLSearchParams }) {
  let m: Record<string, string> | null;
  if (path === '/' || path === '/mailings' || path === '/sign-in') return <MailingsPage />;
  if (path === '/mailings/new') return <NewMailingPage />;
  if ((m = match('/mailings/:id/recipients', path)))
    return <RecipientsPage mailingId={m.id!} status={query.get('status')} limit={query.get('limit')} />;
  if ((m = match('/mailings/:id', path))) return <MailingPage id={m.id!} />;
  if ((m = match('/deliveries/:id', path))) return <DeliveryPage id={m.id!} />;
  if (path === '/contacts/incorrect') return <IncorrectPage />;
  if (path === '/contacts') return <ContactsPage />;
  if ((m = match('/groups/:id', path))) return <GroupPage id={m.id!} />;
  if (path === '/groups') return <GroupsPage />;
  return (
    <NotFound back={{ to: '/mailings', label: 'Go to the mailings' }}>
      There is no page at <code>{path}</code>.
    </NotFound>
  );
}
