/** The lifecycle lock's queue and Logout's bounded wait, with fake timers (Node 20 has no Web Locks). */
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  withLifecycleLock,
  withLifecycleLockOrTimeout,
} from '../../src/background/singleFlight.ts';

afterEach(() => {
  vi.useRealTimers();
});

describe('lifecycle lock', () => {
  it('runs callers one at a time, in order, and survives a failing one', async () => {
    const order: string[] = [];
    let release: () => void = () => undefined;
    const first = withLifecycleLock(async () => {
      order.push('first start');
      await new Promise<void>((r) => {
        release = r;
      });
      order.push('first end');
    });
    const failing = withLifecycleLock(async () => {
      order.push('failing');
      throw new Error('boom');
    });
    const third = withLifecycleLock(async () => {
      order.push('third');
      return 3;
    });
    await new Promise((r) => setTimeout(r, 10));
    expect(order).toEqual(['first start']);
    release();
    await first;
    await expect(failing).rejects.toThrow('boom');
    expect(await third).toBe(3);
    expect(order).toEqual(['first start', 'first end', 'failing', 'third']);
  });

  it('Logout waits for a running refresh, but not forever, and never runs twice', async () => {
    vi.useFakeTimers();
    let release: () => void = () => undefined;
    const hung = withLifecycleLock(
      () =>
        new Promise<void>((r) => {
          release = r;
        }),
    );
    const logout = vi.fn(async () => 'cleared');
    const waiting = withLifecycleLockOrTimeout(10_000, logout);
    await vi.advanceTimersByTimeAsync(9_999);
    expect(logout).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(await waiting).toBe('cleared');
    expect(logout).toHaveBeenCalledTimes(1);
    // When the hung refresh finally ends, the queued turn does not run Logout again.
    release();
    await hung;
    await withLifecycleLock(async () => undefined);
    expect(logout).toHaveBeenCalledTimes(1);
  });
});
