import { describe, expect, it, vi } from 'vitest';

vi.mock('webextension-polyfill', async () => ({
  default: (await import('./support/fakeBrowser.ts')).fakeBrowser.browser,
}));

import { createMessageListener } from '../../src/background/messageRouter.ts';
import { CompanionError } from '../../src/shared/errors.ts';
import { type MessageHandlers, sendMessage } from '../../src/shared/messages.ts';
import { fakeBrowser } from './support/fakeBrowser.ts';

const OWN_ID = 'iejcfdmdmcbahbgjmkapchfjdjngnbnc';

function handlers(overrides: Partial<MessageHandlers> = {}): MessageHandlers {
  return {
    login: vi.fn(async () => ({ tabId: 7 })),
    logout: vi.fn(async () => ({ cleared: true as const })),
    checkSession: vi.fn(async () => ({ status: 'authenticated' as const })),
    saveSettings: vi.fn(async () => {
      throw new CompanionError('missing_secret', 'Enter the Client Secret.');
    }),
    syncSettings: vi.fn(async () => ({ settings: null })),
    ...overrides,
  };
}

const form = { nickname: 'n', authority: 'https://a.example', clientId: 'c', clientSecret: 's' };

describe('message router', () => {
  it('dispatches a typed request to its handler and wraps the value', async () => {
    const h = handlers();
    const listener = createMessageListener(h, OWN_ID);
    const reply = await listener(
      { channel: 'sqlsafe-oidc', type: 'login', payload: { form } },
      { id: OWN_ID },
    );
    expect(reply).toEqual({ ok: true, value: { tabId: 7 } });
    expect(h.login).toHaveBeenCalledWith({ form });
  });

  it('serializes errors with their stable code', async () => {
    const listener = createMessageListener(handlers(), OWN_ID);
    const reply = await listener(
      { channel: 'sqlsafe-oidc', type: 'saveSettings', payload: { form, required: false } },
      { id: OWN_ID },
    );
    expect(reply).toEqual({
      ok: false,
      error: { code: 'missing_secret', message: 'Enter the Client Secret.' },
    });
  });

  it('ignores messages from other extensions and anything that is not our envelope', () => {
    const h = handlers();
    const listener = createMessageListener(h, OWN_ID);
    expect(
      listener({ channel: 'sqlsafe-oidc', type: 'logout', payload: {} }, { id: 'someone-else' }),
    ).toBeUndefined();
    expect(listener({ type: 'logout' }, { id: OWN_ID })).toBeUndefined();
    expect(
      listener({ channel: 'sqlsafe-oidc', type: 'format-disk', payload: {} }, { id: OWN_ID }),
    ).toBeUndefined();
    expect(listener('logout', { id: OWN_ID })).toBeUndefined();
    expect(h.logout).not.toHaveBeenCalled();
  });
});

describe('sendMessage (caller side)', () => {
  it('returns the value of an ok reply', async () => {
    fakeBrowser.reset();
    fakeBrowser.sendMessage.mockResolvedValueOnce({ ok: true, value: { cleared: true } });
    await expect(sendMessage('logout', {})).resolves.toEqual({ cleared: true });
  });

  it('rethrows an error reply as a CompanionError with its code', async () => {
    fakeBrowser.reset();
    fakeBrowser.sendMessage.mockResolvedValueOnce({
      ok: false,
      error: { code: 'relay_unreachable', message: 'The local relay is not answering.' },
    });
    const err = await sendMessage('syncSettings', {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CompanionError);
    expect((err as CompanionError).code).toBe('relay_unreachable');
  });

  it('fails clearly when the background does not answer', async () => {
    fakeBrowser.reset();
    fakeBrowser.sendMessage.mockResolvedValueOnce(undefined);
    const err = await sendMessage('logout', {}).catch((e: unknown) => e);
    expect((err as CompanionError).code).toBe('internal');
  });
});
