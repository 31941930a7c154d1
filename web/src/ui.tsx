/** Small pieces every page uses: loading, errors in words, progress, pages of a list. */
import {
  type DependencyList,
  type ReactNode,
  type RefObject,
  useCallback,
  useEffect,
  useRef,
  useState,
} from 'react';
import { ApiError, type Page } from './api';

export type Loaded<T> = {
  data: T | undefined;
  error: ApiError | undefined;
  loading: boolean;
  reload: () => Promise<void>;
};

/** Loads on mount and when `deps` change; `reload` loads again without clearing what is shown. */
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
  return { data, error, loading, reload };
}

export function asApiError(err: unknown): ApiError {
  return err instanceof ApiError
    ? err
    : new ApiError(0, 'error', err instanceof Error ? err.message : String(err));
}

/** An error in words, right where it happened; screen readers announce it. */
export function ErrorText({ error, id }: { error: ApiError | string | undefined; id?: string }) {
  if (!error) return null;
  return (
    <p className="error" role="alert" id={id}>
      {typeof error === 'string' ? error : error.message}
    </p>
  );
}

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
  const page = useLoad(() => load(cursor), [...deps, cursor]);
  const nextCursor = page.data?.nextCursor;
  return {
    ...page,
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
