/**
 * An in-memory stand-in for `webextension-polyfill`: storage.local and
 * storage.session (get/set/remove/clear, get(null)), storage.onChanged with
 * listeners fired like the browser does (after the write, asynchronously),
 * and runtime.sendMessage as a vi.fn answering with response envelopes.
 *
 * Use it in a test file with:
 *
 *   vi.mock('webextension-polyfill', async () => ({
 *     default: (await import('./support/fakeBrowser.ts')).fakeBrowser.browser,
 *   }));
 *   import { fakeBrowser } from './support/fakeBrowser.ts';
 *   beforeEach(() => fakeBrowser.reset());
 */
import { vi } from 'vitest';
import type { ErrorCode, SerializedError } from '../../../src/shared/errors.ts';
import type {
  MessageType,
  Payload,
  RequestEnvelope,
  ResponseEnvelope,
} from '../../../src/shared/messages.ts';

type AreaName = 'local' | 'session';
type Change = { oldValue?: unknown; newValue?: unknown };
type ChangeListener = (changes: Record<string, Change>, areaName: string) => void;
type Keys = string | string[] | Record<string, unknown> | null | undefined;

const clone = <T>(value: T): T => (value === undefined ? value : structuredClone(value));

class FakeStorageArea {
  readonly data = new Map<string, unknown>();

  constructor(
    private readonly name: AreaName,
    private readonly emit: (changes: Record<string, Change>, area: AreaName) => void,
  ) {}

  async get(keys?: Keys): Promise<Record<string, unknown>> {
    const out: Record<string, unknown> = {};
    if (keys === null || keys === undefined) {
      for (const [k, v] of this.data) out[k] = clone(v);
      return out;
    }
    if (typeof keys === 'string' || Array.isArray(keys)) {
      for (const k of typeof keys === 'string' ? [keys] : keys) {
        if (this.data.has(k)) out[k] = clone(this.data.get(k));
      }
      return out;
    }
    for (const [k, fallback] of Object.entries(keys)) {
      out[k] = this.data.has(k) ? clone(this.data.get(k)) : fallback;
    }
    return out;
  }

  async set(items: Record<string, unknown>): Promise<void> {
    const changes: Record<string, Change> = {};
    for (const [k, v] of Object.entries(items)) {
      changes[k] = { oldValue: clone(this.data.get(k)), newValue: clone(v) };
      this.data.set(k, clone(v));
    }
    this.emit(changes, this.name);
  }

  async remove(keys: string | string[]): Promise<void> {
    const changes: Record<string, Change> = {};
    for (const k of typeof keys === 'string' ? [keys] : keys) {
      if (!this.data.has(k)) continue;
      changes[k] = { oldValue: clone(this.data.get(k)) };
      this.data.delete(k);
    }
    this.emit(changes, this.name);
  }

  async clear(): Promise<void> {
    await this.remove([...this.data.keys()]);
  }

  /** Puts values in place without firing onChanged (the state "before the popup opened"). */
  seed(items: Record<string, unknown>): void {
    for (const [k, v] of Object.entries(items)) this.data.set(k, clone(v));
  }

  snapshot(): Record<string, unknown> {
    return Object.fromEntries([...this.data].map(([k, v]) => [k, clone(v)]));
  }
}

export type MessageHandler<K extends MessageType> = (
  payload: Payload<K>,
) => ResponseEnvelope<K> | Promise<ResponseEnvelope<K>>;

/** A success envelope; assignable to the envelope of whichever message type it answers. */
export function ok<V>(value: V): { ok: true; value: V } {
  return { ok: true, value };
}

/** A failure envelope, as the background sends a CompanionError back. */
export function fail(
  code: ErrorCode,
  message: string,
  detail?: string,
): { ok: false; error: SerializedError } {
  const error: SerializedError =
    detail === undefined ? { code, message } : { code, message, detail };
  return { ok: false, error };
}

class FakeBrowser {
  private listeners = new Set<ChangeListener>();
  private handlers = new Map<MessageType, MessageHandler<MessageType>>();

  readonly local = new FakeStorageArea('local', (c, a) => this.emit(c, a));
  readonly session = new FakeStorageArea('session', (c, a) => this.emit(c, a));

  /** Every request the page sent; answers come from `onMessage` handlers. */
  readonly sendMessage = vi.fn(async (message: unknown): Promise<unknown> => {
    const envelope = message as RequestEnvelope;
    const handler = this.handlers.get(envelope.type);
    if (!handler) return fail('internal', `No fake handler for ${envelope.type}`);
    return handler(envelope.payload as never);
  });

  /** What the module default export looks like to the code under test. */
  readonly browser = {
    storage: {
      local: this.local,
      session: this.session,
      onChanged: {
        addListener: (l: ChangeListener) => void this.listeners.add(l),
        removeListener: (l: ChangeListener) => void this.listeners.delete(l),
        hasListener: (l: ChangeListener) => this.listeners.has(l),
      },
    },
    runtime: {
      sendMessage: this.sendMessage,
      id: 'fake-extension-id',
    },
  };

  private emit(changes: Record<string, Change>, areaName: AreaName): void {
    if (Object.keys(changes).length === 0) return;
    // The browser dispatches onChanged after the write resolves, not during it.
    const listeners = [...this.listeners];
    setTimeout(() => {
      for (const l of listeners) l(changes, areaName);
    }, 0);
  }

  /** Answer requests of `type` with `handler` (a response envelope, or a promise of one). */
  onMessage<K extends MessageType>(type: K, handler: MessageHandler<K>): void {
    this.handlers.set(type, handler as unknown as MessageHandler<MessageType>);
  }

  /** The payloads sent for one message type, in order. */
  sent<K extends MessageType>(type: K): Payload<K>[] {
    return this.sendMessage.mock.calls
      .map(([m]) => m as RequestEnvelope)
      .filter((m) => m.type === type)
      .map((m) => m.payload as Payload<K>);
  }

  get listenerCount(): number {
    return this.listeners.size;
  }

  reset(): void {
    this.local.data.clear();
    this.session.data.clear();
    this.listeners.clear();
    this.handlers.clear();
    this.sendMessage.mockClear();
  }
}

export const fakeBrowser = new FakeBrowser();
