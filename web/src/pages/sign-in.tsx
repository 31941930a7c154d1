/** Sign in with an API key, checked against the API and kept in this tab's session storage only. */
import { type FormEvent, useState } from 'react';
import { api, ApiError, INVALID_KEY, isKeyShaped, session } from '../api';
import { Button, ErrorText, Progress, asApiError, useTitle } from '../ui';

export function SignInPage({ notice, onSignedIn }: { notice?: string; onSignedIn: () => void }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<ApiError>();
  const [busy, setBusy] = useState(false);
  useTitle('Sign in');

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (busy) return;
    // Spaces around a pasted key are not part of it; a character inside it that no key has is
    // refused here, in the words of a wrong key (the browser could not send it anyway).
    const typed = key.trim();
    if (!isKeyShaped(typed)) return setError(new ApiError(0, 'invalid_key', INVALID_KEY));
    setBusy(true);
    setError(undefined);
    try {
      // Any call with a key says whether it opens an account.
      await api('get', '/v1/groups', { query: { limit: 1 } }, typed);
      session.signIn(typed);
      onSignedIn();
    } catch (err) {
      const failure = asApiError(err);
      setError(
        failure.status === 401
          ? new ApiError(401, failure.code, 'This key opens no account. Check it and try again.')
          : failure,
      );
    } finally {
      setBusy(false);
    }
  }

  return (
    <main id="main" className="sign-in">
      <h1>Deliverability</h1>
      <form className="card" onSubmit={(e) => void submit(e)} aria-describedby="key-help">
        <h2>Sign in</h2>
        {notice && <p className="notice">{notice}</p>}
        <div className="field">
          <label htmlFor="api-key">API key</label>
          <input
            id="api-key"
            name="api-key"
            type="password"
            autoComplete="off"
            required
            value={key}
            onChange={(e) => setKey(e.target.value)}
            aria-invalid={error ? true : undefined}
            aria-describedby={error ? 'key-error' : 'key-help'}
          />
          <p id="key-help" className="hint">
            <code>npm start</code> prints the dev key. It stays in this browser tab only, until you sign out.
          </p>
          <ErrorText error={error} id="key-error" />
        </div>
        <Button type="submit" unavailable={busy || !key.trim()}>
          Sign in
        </Button>
        {busy && <Progress label="Checking the key…" />}
      </form>
    </main>
  );
}
