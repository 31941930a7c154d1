/** Small pieces every page uses: loading, errors in words, progress, pages of a list. */
import {
  type ComponentProps,
  type DependencyList,
  type ReactNode,
  type RefObject,
  useCallback,
  useEffect,
  useLayoutEffect,
  useRef,
  useState,
} from 'react';
import { ApiError, type Page } from './api';
import { Link } from './router';

export type Loaded<T> = {
  data: T | undefined;
  error: ApiError | undefined;
  loading: boolean;
  reload: () => Promise<void>;
};

/**
 * Errors that pass by themselves: the service out of reach (a network down, the API restarting) or
 * saying it is for a moment (502, 503, 504). A load that failed so is tried again every few seconds.
 */
export const isPassing = (error: ApiError) =>
  error.code === 'unreachable' || error.status === 502 || error.status === 503 || error.status === 504;
export const RETRY_MS = 5_000;

/**
 * Loads on mount and when `deps` change; `reload` loads again without clearing what is shown. A
 * load that failed for a passing reason (isPassing) is tried again every RETRY_MS by itself, so
 * that a page opened while the service was away comes back with it.
 */
export function useLoad<T>(load: () => Promise<T>, deps: DependencyList): Loaded<T> {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<ApiError>();
  const [loading, setLoading] = useState(true);
  const generation = useRef(0);
  // The caller names what the load depends on (the function itself is new on every render).
  const run = useCallback(load, deps);
  const reload = useCallback(async () => {
    const mine = ++generation.current;
    setLoading(true);
    try {
      const value = await run();
      if (mine !== generation.current) return;
      setData(value);
      setError(undefined);
    } catch (err) {
      if (mine === generation.current) setError(asApiError(err));
    } finally {
      if (mine === generation.current) setLoading(false);
    }
  }, [run]);
  useEffect(() => {
    void reload();
  }, [reload]);
  useEffect(() => {
    if (!error || !isPassing(error)) return;
    const timer = setTimeout(() => void reload(), RETRY_MS);
    return () => clearTimeout(timer);
  }, [error, reload]);
  return { data, error, loading, reload };
}

export function asApiError(err: unknown): ApiError {
  return err instanceof ApiError
    ? err
    : new ApiError(0, 'error', err instanceof Error ? err.message : String(err));
}

/**
 * An error in words, right where it happened; screen readers announce it. A load that failed
 * (`retry`, its reload) has a Try again button beside its words, and says when it is tried again
 * by itself.
 */
export function ErrorText({
  error,
  id,
  retry,
}: {
  error: ApiError | string | undefined;
  id?: string;
  retry?: () => unknown;
}) {
  if (!error) return null;
  return (
    <p className="error" role="alert" id={id}>
      {typeof error === 'string' ? error : error.message}
      {retry && (
        <>
          {typeof error !== 'string' && isPassing(error) && (
            <span className="hint"> This page tries again by itself every {RETRY_MS / 1000} seconds.</span>
          )}{' '}
          <Button className="quiet retry" onClick={() => void retry()}>
            Try again
          </Button>
        </>
      )}
    </p>
  );
}

/**
 * The focus, when `ref`'s element goes while it has it (a Try again once the load worked, a Send
 * once sent), handed to the page's content rather than dropped to the top of the page. Run before
 * the element leaves the document (a layout effect's cleanup), while it still has the focus; a
 * page that puts the focus somewhere precise does so afterwards.
 */
export function useFocusRescue(ref: RefObject<HTMLElement | null>) {
  useLayoutEffect(() => {
    const element = ref.current;
    return () => {
      if (element && document.activeElement === element) document.getElementById('main')?.focus();
    };
  }, [ref]);
}

/**
 * A button that keeps the keyboard while it cannot be used (busy, or nothing to send yet): a
 * disabled button drops the focus to the top of the page. `unavailable` says so to screen readers
 * (aria-disabled), greys it, and its clicks (and a form's Enter) do nothing.
 */
export function Button({
  unavailable,
  onClick,
  type = 'button',
  ref,
  ...rest
}: ComponentProps<'button'> & { unavailable?: boolean }) {
  const own = useRef<HTMLButtonElement>(null);
  useFocusRescue(own);
  const refs = useCallback(
    (el: HTMLButtonElement | null) => {
      own.current = el;
      if (typeof ref === 'function') ref(el);
      else if (ref) ref.current = el;
    },
    [ref],
  );
  return (
    <button
      {...rest}
      type={type}
      ref={refs}
      aria-disabled={unavailable || undefined}
      onClick={(e) => {
        if (unavailable) e.preventDefault();
        else onClick?.(e);
      }}
    />
  );
}

/**
 * The tab's title: the page's, then the app's name (the browser's history and tabs tell them apart).
 * Undefined leaves it to what the page shows instead (NotFound names itself).
 */
export function useTitle(title: string | undefined) {
  useEffect(() => {
    if (title !== undefined) document.title = `${title} · Deliverability`;
  }, [title]);
}

/** What a link or address names does not exist (a 404): a heading that says so, and the way back. */
export function NotFound({ children, back }: { children: ReactNode; back: { to: string; label: string } }) {
  useTitle('Not found');
  return (
    <>
      <h1>Not found</h1>
      <p>
        {children} <Link to={back.to}>{back.label}</Link>.
      </p>
    </>
  );
}

/** The API said the thing asked for does not exist. */
export const isNotFound = (error: ApiError | undefined) => error?.status === 404;

/** Work that takes a while: a progress bar (a measured one when there is a total) and what it is doing. */
export function Progress({ label, value, max }: { label: string; value?: number; max?: number }) {
  return (
    <div className="progress" role="status">
      <progress value={max ? value : undefined} max={max} aria-label={label} />
      <span>{label}</span>
    </div>
  );
}

export function Loading({ what }: { what: string }) {
  return <Progress label={`Loading ${what}…`} />;
}

/** `value` once it has stayed the same for `ms` (a search box asks when typing pauses). */
export function useSettled<T>(value: T, ms: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return settled;
}

/** Walks a cursor-paginated list: the cursors of the pages before are kept for "Previous". */
export function usePages<P extends Page<unknown>>(
  load: (cursor: string | undefined) => Promise<P>,
  deps: DependencyList,
) {
  // The cursors walked so far belong to one list: other deps (another filter) start at its first page.
  const list = JSON.stringify(deps);
  const [walked, setWalked] = useState<{ list: string; cursors: (string | undefined)[] }>({
    list,
    cursors: [undefined],
  });
  const cursors = walked.list === list ? walked.cursors : [undefined];
  // Forgotten when the list changes: coming back to an earlier filter starts at its first page.
  useEffect(() => setWalked((w) => (w.list === list ? w : { list, cursors: [undefined] })), [list]);
  const cursor = cursors.at(-1);
  // Each page loaded with the cursor it answers: shown while the next one loads, but known as another.
  const loaded = useLoad(async () => ({ cursor, page: await load(cursor) }), [...deps, cursor]);
  const page = { ...loaded, data: loaded.data?.page };
  // A page after the first emptied meanwhile (its last rows removed, then reloaded): the one before.
  const emptied =
    cursors.length > 1 &&
    loaded.data !== undefined &&
    loaded.data.cursor === cursor &&
    loaded.data.page.items.length === 0;
  useEffect(() => {
    if (emptied)
      setWalked((w) =>
        w.list === list && w.cursors.at(-1) === cursor ? { list, cursors: w.cursors.slice(0, -1) } : w,
      );
  }, [emptied, list, cursor]);
  const nextCursor = page.data?.nextCursor;
  return {
    ...page,
    /** The page shown is the one asked for, loaded, and not emptied: what it holds is what there is. */
    settled: !loaded.loading && loaded.data !== undefined && loaded.data.cursor === cursor && !emptied,
    number: cursors.length,
    previous: cursors.length > 1 ? () => setWalked({ list, cursors: cursors.slice(0, -1) }) : undefined,
    next: nextCursor ? () => setWalked({ list, cursors: [...cursors, nextCursor] }) : undefined,
  };
}

/**
 * Previous and Next. After a click the list's top (`top`, focusable with tabIndex -1) takes the
 * focus and the view: the buttons are at the bottom of a long page, and the new page starts above.
 */
export function Pager({
  number,
  previous,
  next,
  label,
  top,
}: {
  number: number;
  previous: (() => void) | undefined;
  next: (() => void) | undefined;
  label: string;
  top: RefObject<HTMLElement | null>;
}) {
  // Only a page changed by these buttons moves the focus: not a new filter, not a reload.
  const clicked = useRef(false);
  useEffect(() => {
    if (!clicked.current) return;
    clicked.current = false;
    const element = top.current;
    if (!element) return;
    element.focus({ preventScroll: true });
    // focus() alone scrolls only as far as needed: a table whose end is in view would stay scrolled.
    element.scrollIntoView({ block: 'start' });
  }, [number, top]);
  if (!previous && !next) return null;
  const go = (to: () => void) => () => {
    clicked.current = true;
    to();
  };
  return (
    <nav className="pager" aria-label={`Pages of ${label}`}>
      <button type="button" onClick={previous && go(previous)} disabled={!previous}>
        ← Previous
      </button>
      <span>Page {number}</span>
      <button type="button" onClick={next && go(next)} disabled={!next}>
        Next →
      </button>
    </nav>
  );
}

export function Section({ title, children, id }: { title: string; children: ReactNode; id?: string }) {
  return (
    <section className="card" aria-labelledby={id ? `${id}-title` : undefined}>
      <h2 id={id ? `${id}-title` : undefined}>{title}</h2>
      {children}
    </section>
  );
}

/** The browser's time zone and language; a missing time is a dash. */
export function when(iso: string | null | undefined): string {
  if (!iso) return '—';
  return new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/** `user_unknown` → `user unknown`. */
export const words = (code: string | null | undefined) => (code ? code.replace(/_/g, ' ') : '—');

/** `1 member`, `2 members`: the count with its noun in the number it needs. */
export const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
