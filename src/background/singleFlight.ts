/**
 * One token-lifecycle operation at a time in the worker: refreshes triggered
 * by the alarm, a worker start and several popups at once, and Logout, queue
 * on one Web Lock (navigator.locks, available in extension service workers:
 * https://developer.mozilla.org/docs/Web/API/WorkerNavigator/locks). Each
 * re-reads storage once it holds the lock, so the second caller finds the
 * fresh tokens and does nothing. A lock dies with a stopped worker; the
 * relay's RefreshGate covers a request that was already on its way.
 */

const LOCK_NAME = 'sqlsafe-oidc-token-lifecycle';

interface LockManagerLike {
  request<T>(
    name: string,
    options: { signal?: AbortSignal },
    callback: () => Promise<T>,
  ): Promise<T>;
}

let fallbackTail: Promise<unknown> = Promise.resolve();

function locks(): LockManagerLike | null {
  const nav = (globalThis as { navigator?: { locks?: LockManagerLike } }).navigator;
  return nav?.locks ?? null;
}

/** Runs `fn` holding the lifecycle lock. */
export async function withLifecycleLock<T>(fn: () => Promise<T>): Promise<T> {
  const manager = locks();
  if (manager) return manager.request(LOCK_NAME, {}, fn);
  // No Web Locks (unit tests on Node 20): an in-memory queue gives the same order.
  const run = fallbackTail.catch(() => undefined).then(fn);
  fallbackTail = run;
  return run;
}

/**
 * Like withLifecycleLock, but gives up waiting after `timeoutMs` and runs
 * `fn` anyway: Logout must always be possible, even behind a hung refresh
 * (whose late result then finds its tokens gone and is dropped).
 */
export async function withLifecycleLockOrTimeout<T>(
  timeoutMs: number,
  fn: () => Promise<T>,
): Promise<T> {
  let entered = false;
  let gaveUp = false;
  const guarded = async (): Promise<T | undefined> => {
    if (gaveUp) return undefined;
    entered = true;
    return fn();
  };
  const manager = locks();
  if (manager) {
    try {
      return (await manager.request(
        LOCK_NAME,
        { signal: AbortSignal.timeout(timeoutMs) },
        guarded,
      )) as T;
    } catch (err) {
      // The signal only rejects a request still waiting; errors of fn itself pass through.
      if (entered) throw err;
      gaveUp = true;
      return fn();
    }
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  const locked = withLifecycleLock(guarded);
  const first = await Promise.race([locked, timeout]);
  clearTimeout(timer);
  if (first !== 'timeout') return first as T;
  // Already running under the lock: wait for it rather than run it twice.
  if (entered) return (await locked) as T;
  gaveUp = true;
  return fn();
}
