/**
 * Runs one request per operation at a time: a second click while the first
 * is in flight does nothing, and `busy` tells the button to show disabled.
 */
import { useCallback, useRef, useState } from 'preact/hooks';
import { type CompanionError, toCompanionError } from '../shared/errors.ts';

export type RequestResult<T> = { ok: true; value: T } | { ok: false; error: CompanionError };

export function useRequest<Op extends string>() {
  // The ref guards synchronously (two clicks before a re-render); the state drives the UI.
  const inflight = useRef(new Set<Op>());
  const [busy, setBusy] = useState<ReadonlySet<Op>>(() => new Set());

  const run = useCallback(
    async <T>(op: Op, request: () => Promise<T>): Promise<RequestResult<T> | null> => {
      if (inflight.current.has(op)) return null;
      inflight.current.add(op);
      setBusy(new Set(inflight.current));
      try {
        return { ok: true, value: await request() };
      } catch (err) {
        return { ok: false, error: toCompanionError(err) };
      } finally {
        inflight.current.delete(op);
        setBusy(new Set(inflight.current));
      }
    },
    [],
  );

  return { busy, run };
}
