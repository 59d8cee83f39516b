// @vitest-environment happy-dom
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/preact';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { App } from '../../src/popup/App.tsx';
import { OPENING_TEXT, WAITING_TEXT } from '../../src/popup/LoginControls.tsx';
import { SECRET_STORED_PLACEHOLDER } from '../../src/popup/SecretField.tsx';
import type { AuthState, LoginOutcome } from '../../src/shared/auth.ts';
import type { RepositorySettings } from '../../src/shared/settings.ts';
import { fail, fakeBrowser, ok } from './support/fakeBrowser.ts';
import { pendingLoginFixture } from './support/fixtures.ts';

vi.mock('webextension-polyfill', async () => ({
  default: (await import('./support/fakeBrowser.ts')).fakeBrowser.browser,
}));

const SAVED: RepositorySettings = {
  nickname: 'Okta',
  authority: 'https://example.okta.com/oauth2/default',
  clientId: 'saved-client',
  hasSecret: true,
  required: false,
  updatedAt: '2024-05-01T10:00:00.000Z',
};

const AUTHENTICATED: AuthState = {
  status: 'authenticated',
  user: { sub: 'u1', name: 'Ada Lovelace', email: 'ada@example.com' },
  reason: null,
  sessionId: 'sess-1',
  expiresAt: Date.now() + 3600_000,
  updatedAt: Date.now(),
};

const fetchSpy = vi.fn();

beforeEach(() => {
  fakeBrowser.reset();
  fetchSpy.mockReset();
  vi.stubGlobal('fetch', fetchSpy);
});

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

async function open(local: Record<string, unknown> = {}, session: Record<string, unknown> = {}) {
  fakeBrowser.local.seed(local);
  fakeBrowser.session.seed(session);
  render(<App />);
  await screen.findByRole('status');
}

const box = (name: string) => screen.getByRole('textbox', { name });
const button = (name: string) => screen.getByRole('button', { name });
const type = (el: HTMLElement, value: string) => fireEvent.input(el, { target: { value } });

function fill(values: {
  nickname?: string;
  authority?: string;
  clientId?: string;
  clientSecret?: string;
}) {
  if (values.nickname !== undefined) type(box('Provider nickname'), values.nickname);
  if (values.authority !== undefined) type(box('Authority URL'), values.authority);
  if (values.clientId !== undefined) type(box('Client ID'), values.clientId);
  if (values.clientSecret !== undefined)
    type(screen.getByLabelText('Client Secret'), values.clientSecret);
}

const VALID = {
  nickname: 'Test IdP',
  authority: 'http://127.0.0.1:4000',
  clientId: 'client-a',
  clientSecret: 'secret-a',
};

describe('opening the popup', () => {
  it('shows Not Authenticated, the fields, and a disabled Required checkbox', async () => {
    await open();
    expect(screen.getByRole('status').textContent).toBe('Not Authenticated');
    for (const name of ['Provider nickname', 'Authority URL', 'Client ID']) {
      expect((box(name) as HTMLInputElement).value).toBe('');
    }
    const secret = screen.getByLabelText('Client Secret') as HTMLInputElement;
    expect(secret.type).toBe('password');
    expect(secret.value).toBe('');
    const required = screen.getByRole('checkbox', { name: 'Required' }) as HTMLInputElement;
    expect(required.disabled).toBe(true);
    expect(required.checked).toBe(false);
    for (const name of ['Login', 'Logout', 'OK', 'Cancel', 'Show client secret']) {
      expect(button(name)).toBeTruthy();
    }
    expect((button('Logout') as HTMLButtonElement).disabled).toBe(false);
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it('sends no message and makes no request', async () => {
    await open({ settings: SAVED, auth: AUTHENTICATED });
    await new Promise((r) => setTimeout(r, 20));
    expect(fakeBrowser.sendMessage).not.toHaveBeenCalled();
    expect(fetchSpy).not.toHaveBeenCalled();
    // Nor does it write anything just by opening.
    expect(fakeBrowser.session.snapshot()).toEqual({});
  });

  it('has exactly one role=status element, reading exactly the label', async () => {
    await open({ auth: { ...AUTHENTICATED }, loginOutcome: outcome('success') });
    const statuses = screen.getAllByRole('status');
    expect(statuses).toHaveLength(1);
    expect(statuses[0]?.textContent).toBe('Authenticated');
    expect(document.querySelectorAll('[role="status"]')).toHaveLength(1);
  });

  it('shows the callback URL, grant types, and help links', async () => {
    await open();
    expect(screen.getByText('http://localhost:5000/callback/')).toBeTruthy();
    expect(screen.getByText('Grant types: Authorization Code and Refresh Token')).toBeTruthy();
    const okta = screen.getByRole('link', { name: 'Okta' });
    expect(okta.getAttribute('target')).toBe('_blank');
    expect(okta.getAttribute('rel')).toBe('noopener noreferrer');
    expect(screen.getByRole('link', { name: 'Entra ID' }).getAttribute('href')).toContain(
      'learn.microsoft.com',
    );
  });

  it('uses the configured relay port in the callback URL', async () => {
    await open({ relayPort: 5055 });
    expect(screen.getByText('http://localhost:5055/callback/')).toBeTruthy();
  });

  it('starts from the saved settings with an empty secret', async () => {
    await open({ settings: { ...SAVED, required: true } });
    expect((box('Provider nickname') as HTMLInputElement).value).toBe('Okta');
    expect((box('Authority URL') as HTMLInputElement).value).toBe(SAVED.authority);
    expect((box('Client ID') as HTMLInputElement).value).toBe('saved-client');
    const secret = screen.getByLabelText('Client Secret') as HTMLInputElement;
    expect(secret.value).toBe('');
    expect(secret.placeholder).toBe(SECRET_STORED_PLACEHOLDER);
    expect(
      (screen.getByRole('combobox', { name: 'Provider type' }) as HTMLSelectElement).value,
    ).toBe('okta');
    const required = screen.getByRole('checkbox', { name: 'Required' }) as HTMLInputElement;
    expect(required.checked).toBe(true);
    expect(required.disabled).toBe(true);
  });

  it('restores the draft over the saved settings', async () => {
    await open(
      { settings: SAVED },
      {
        draft: { nickname: 'Draft', authority: 'https://draft.example', clientId: 'draft-client' },
      },
    );
    expect((box('Provider nickname') as HTMLInputElement).value).toBe('Draft');
    expect((box('Authority URL') as HTMLInputElement).value).toBe('https://draft.example');
    expect((box('Client ID') as HTMLInputElement).value).toBe('draft-client');
    // Another client than the saved one: its secret does not apply.
    expect((screen.getByLabelText('Client Secret') as HTMLInputElement).placeholder).toBe('');
  });
});

describe('authentication status', () => {
  it('shows Authenticated, who is signed in, and enables Required', async () => {
    await open({ auth: AUTHENTICATED, settings: SAVED });
    expect(screen.getByRole('status').textContent).toBe('Authenticated');
    expect(screen.getByText('Signed in as Ada Lovelace')).toBeTruthy();
    expect((screen.getByRole('checkbox', { name: 'Required' }) as HTMLInputElement).disabled).toBe(
      false,
    );
  });

  it('shows Authentication Failed with the reason', async () => {
    await open({
      auth: {
        ...AUTHENTICATED,
        status: 'failed',
        user: null,
        reason: { code: 'invalid_grant', message: 'The provider revoked the session.' },
      },
    });
    expect(screen.getByRole('status').textContent).toBe('Authentication Failed');
    expect(screen.getByText(/The provider revoked the session\./)).toBeTruthy();
    expect((screen.getByRole('checkbox', { name: 'Required' }) as HTMLInputElement).disabled).toBe(
      true,
    );
  });

  it('updates live when the background changes auth in storage', async () => {
    await open();
    expect(screen.getByRole('status').textContent).toBe('Not Authenticated');
    await fakeBrowser.local.set({ auth: AUTHENTICATED });
    await waitFor(() => expect(screen.getByRole('status').textContent).toBe('Authenticated'));
    expect(screen.getByText('Signed in as Ada Lovelace')).toBeTruthy();
    await fakeBrowser.local.remove('auth');
    await waitFor(() => expect(screen.getByRole('status').textContent).toBe('Not Authenticated'));
    expect(screen.queryByText(/Signed in as/)).toBeNull();
  });

  it('unsubscribes from storage when closed', async () => {
    await open();
    expect(fakeBrowser.listenerCount).toBeGreaterThan(0);
    cleanup();
    expect(fakeBrowser.listenerCount).toBe(0);
  });
});

describe('validation', () => {
  it.each([
    ['ftp://x', 'The Authority URL must start with https://.'],
    [
      'http://example.com',
      'The Authority URL must use https:// (http:// is allowed only for localhost).',
    ],
    ['not a url', 'Enter an absolute URL, such as https://login.provider.com/.'],
  ])('rejects authority %s without sending anything', async (authority, message) => {
    await open();
    fill({ ...VALID, authority });
    fireEvent.click(button('Login'));
    const field = box('Authority URL');
    expect(field.getAttribute('aria-invalid')).toBe('true');
    const describedBy = field.getAttribute('aria-describedby') ?? '';
    const error = document.getElementById(describedBy.split(' ').at(-1) ?? '');
    expect(error?.textContent).toBe(message);
    expect(document.activeElement).toBe(field);
    fireEvent.click(button('OK'));
    await new Promise((r) => setTimeout(r, 10));
    expect(fakeBrowser.sendMessage).not.toHaveBeenCalled();
  });

  it('accepts a loopback http authority', async () => {
    fakeBrowser.onMessage('login', () => ok({ tabId: 7 }));
    await open();
    fill(VALID);
    fireEvent.click(button('Login'));
    await waitFor(() => expect(fakeBrowser.sent('login')).toHaveLength(1));
    expect(box('Authority URL').getAttribute('aria-invalid')).toBeNull();
  });

  it('asks for the client ID and the client secret', async () => {
    await open();
    fill({ authority: 'https://idp.example.com' });
    fireEvent.click(button('Login'));
    expect(
      screen.getByText('Enter the Client ID of the application registered at your provider.'),
    ).toBeTruthy();
    expect(
      screen.getByText('Enter the Client Secret of the application registered at your provider.'),
    ).toBeTruthy();
    expect(screen.getByLabelText('Client Secret').getAttribute('aria-invalid')).toBe('true');
    expect(document.activeElement).toBe(box('Client ID'));
    // Typing in a field clears its message.
    fill({ clientId: 'x' });
    expect(box('Client ID').getAttribute('aria-invalid')).toBeNull();
    expect(fakeBrowser.sendMessage).not.toHaveBeenCalled();
  });

  it('accepts an empty secret when the repository stores it for this client', async () => {
    fakeBrowser.onMessage('login', () => ok({ tabId: 1 }));
    await open({ settings: SAVED });
    expect((screen.getByLabelText('Client Secret') as HTMLInputElement).placeholder).toBe(
      'Stored in the repository (leave empty to keep)',
    );
    fireEvent.click(button('Login'));
    await waitFor(() => expect(fakeBrowser.sent('login')).toHaveLength(1));
    expect(fakeBrowser.sent('login')[0]?.form.clientSecret).toBe('');
  });

  it('requires the secret again once the client differs from the saved one', async () => {
    await open({ settings: SAVED });
    fill({ clientId: 'another-client' });
    expect((screen.getByLabelText('Client Secret') as HTMLInputElement).placeholder).toBe('');
    fireEvent.click(button('Login'));
    expect(screen.getByLabelText('Client Secret').getAttribute('aria-invalid')).toBe('true');
    expect(fakeBrowser.sendMessage).not.toHaveBeenCalled();
  });
});

describe('Login', () => {
  it('sends the trimmed form and shows progress while waiting', async () => {
    let answer: (v: unknown) => void = () => undefined;
    fakeBrowser.onMessage('login', () => new Promise((r) => (answer = r)) as never);
    await open();
    fill({
      nickname: '  Test IdP ',
      authority: ' http://127.0.0.1:4000/tenant ',
      clientId: ' client-a ',
      clientSecret: ' secret-a ',
    });
    fireEvent.click(button('Login'));
    await screen.findByText(OPENING_TEXT);
    expect((button('Login') as HTMLButtonElement).disabled).toBe(true);
    fireEvent.click(button('Login'));
    expect(fakeBrowser.sent('login')).toEqual([
      {
        form: {
          nickname: 'Test IdP',
          authority: 'http://127.0.0.1:4000/tenant',
          clientId: 'client-a',
          clientSecret: 'secret-a',
        },
      },
    ]);
    answer(ok({ tabId: 3 }));
    await waitFor(() => expect((button('Login') as HTMLButtonElement).disabled).toBe(false));
    expect(screen.queryByText(OPENING_TEXT)).toBeNull();
  });

  it('shows "Login unsuccessful" with the code when the background refuses', async () => {
    fakeBrowser.onMessage('login', () =>
      fail('provider_unreachable', 'The provider at http://127.0.0.1:4000 did not answer.'),
    );
    await open();
    fill(VALID);
    fireEvent.click(button('Login'));
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain(
      'Login unsuccessful: The provider at http://127.0.0.1:4000 did not answer.',
    );
    expect(within(alert).getByText('(code: provider_unreachable)')).toBeTruthy();
    // Nothing typed is lost.
    expect((screen.getByLabelText('Client Secret') as HTMLInputElement).value).toBe('secret-a');
    fireEvent.click(button('Dismiss message'));
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it('puts a field-specific error next to the field', async () => {
    fakeBrowser.onMessage('login', () =>
      fail('missing_secret', 'The repository holds no secret for this client.'),
    );
    await open();
    fill(VALID);
    fireEvent.click(button('Login'));
    await screen.findByRole('alert');
    expect(screen.getByLabelText('Client Secret').getAttribute('aria-invalid')).toBe('true');
  });

  it('shows that a login is waiting for the user at the provider', async () => {
    const pending = pendingLoginFixture({ tabId: 4 });
    await open({ pendingLogin: pending });
    expect(screen.getByText(WAITING_TEXT)).toBeTruthy();
    await fakeBrowser.local.set({ pendingLogin: null, auth: AUTHENTICATED });
    await waitFor(() => expect(screen.queryByText(WAITING_TEXT)).toBeNull());
  });

  it('shows the outcome the background recorded: success', async () => {
    await open();
    await fakeBrowser.local.set({ auth: AUTHENTICATED, loginOutcome: outcome('success') });
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toBe('Login successful. Signed in as Ada Lovelace.');
  });

  it('shows the outcome the background recorded: failure, with the code', async () => {
    await open({ loginOutcome: outcome('failure') });
    const alert = screen.getByRole('alert');
    expect(alert.textContent).toContain('Login unsuccessful: The user cancelled the sign-in.');
    expect(alert.textContent).toContain('(code: access_denied)');
    fireEvent.click(button('Dismiss message'));
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it('does not show an outcome older than five minutes', async () => {
    await open({ loginOutcome: { ...outcome('failure'), at: Date.now() - 6 * 60_000 } });
    expect(screen.queryByRole('alert')).toBeNull();
  });
});

describe('client secret visibility', () => {
  it('Show client secret reveals it as a textbox and becomes Hide client secret', async () => {
    await open();
    const toggle = button('Show client secret');
    expect(toggle.getAttribute('aria-pressed')).toBe('false');
    fireEvent.click(toggle);
    expect(screen.getByRole('textbox', { name: 'Client Secret' })).toBeTruthy();
    const hide = button('Hide client secret');
    expect(hide.getAttribute('aria-pressed')).toBe('true');
    fireEvent.click(hide);
    expect((screen.getByLabelText('Client Secret') as HTMLInputElement).type).toBe('password');
    expect(button('Show client secret')).toBeTruthy();
  });
});

describe('provider type', () => {
  it('fills the nickname, the authority placeholder and the help link', async () => {
    await open();
    const chooser = screen.getByRole('combobox', { name: 'Provider type' });
    fireEvent.change(chooser, { target: { value: 'okta' } });
    expect((box('Provider nickname') as HTMLInputElement).value).toBe('Okta');
    expect((box('Authority URL') as HTMLInputElement).placeholder).toBe(
      'https://{yourOktaDomain}/oauth2/default',
    );
    expect(screen.getByRole('link', { name: 'Okta' })).toBeTruthy();
    expect(screen.queryByRole('link', { name: 'Entra ID' })).toBeNull();
    fireEvent.change(chooser, { target: { value: 'entra' } });
    expect((box('Provider nickname') as HTMLInputElement).value).toBe('Entra ID');
    expect(screen.getByRole('link', { name: 'Entra ID' })).toBeTruthy();
    // The nickname change is drafted.
    await waitFor(() =>
      expect(fakeBrowser.session.snapshot().draft).toMatchObject({ nickname: 'Entra ID' }),
    );
  });

  it('keeps a nickname the user made up', async () => {
    await open();
    fill({ nickname: 'Finance SSO' });
    fireEvent.change(screen.getByRole('combobox', { name: 'Provider type' }), {
      target: { value: 'okta' },
    });
    expect((box('Provider nickname') as HTMLInputElement).value).toBe('Finance SSO');
  });
});

describe('draft', () => {
  it('writes every edit to the draft, never the secret', async () => {
    await open();
    fill(VALID);
    await waitFor(() =>
      expect(fakeBrowser.session.snapshot().draft).toEqual({
        nickname: 'Test IdP',
        authority: 'http://127.0.0.1:4000',
        clientId: 'client-a',
      }),
    );
    expect(JSON.stringify(fakeBrowser.session.snapshot())).not.toContain('secret-a');
    expect(JSON.stringify(fakeBrowser.local.snapshot())).not.toContain('secret-a');
  });
});

describe('Required', () => {
  it('is sent with OK once authenticated', async () => {
    fakeBrowser.onMessage('saveSettings', ({ form, required }) =>
      ok({ settings: { ...form, hasSecret: true, required, updatedAt: null } }),
    );
    await open({ auth: AUTHENTICATED, settings: SAVED });
    fireEvent.click(screen.getByRole('checkbox', { name: 'Required' }));
    expect((screen.getByRole('checkbox', { name: 'Required' }) as HTMLInputElement).checked).toBe(
      true,
    );
    fireEvent.click(button('OK'));
    await waitFor(() => expect(fakeBrowser.sent('saveSettings')).toHaveLength(1));
    expect(fakeBrowser.sent('saveSettings')[0]?.required).toBe(true);
  });
});

describe('OK and Cancel', () => {
  it('OK saves the trimmed form, shows "saved", clears the draft and the secret', async () => {
    fakeBrowser.onMessage('saveSettings', ({ form, required }) =>
      ok({
        settings: {
          nickname: form.nickname,
          authority: form.authority,
          clientId: form.clientId,
          hasSecret: true,
          required,
          updatedAt: '2024-05-02T00:00:00.000Z',
        },
      }),
    );
    await open();
    fill({ ...VALID, clientId: ' client-a ' });
    await waitFor(() => expect(fakeBrowser.session.snapshot().draft).toBeTruthy());
    fireEvent.click(button('OK'));
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('saved');
    expect(alert.textContent).toBe('Settings saved to the repository.');
    expect(fakeBrowser.sent('saveSettings')).toEqual([
      { form: { ...VALID, clientId: 'client-a' }, required: false },
    ]);
    const secret = screen.getByLabelText('Client Secret') as HTMLInputElement;
    expect(secret.value).toBe('');
    await waitFor(() => expect(fakeBrowser.session.snapshot().draft).toBeNull());
    expect((box('Client ID') as HTMLInputElement).value).toBe('client-a');
  });

  it('OK shows the error and keeps what was typed', async () => {
    fakeBrowser.onMessage('saveSettings', () =>
      fail('relay_unreachable', 'The local relay on port 5000 is not running.'),
    );
    await open();
    fill(VALID);
    fireEvent.click(button('OK'));
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('The local relay on port 5000 is not running.');
    expect(alert.textContent).toContain('(code: relay_unreachable)');
    expect(alert.textContent).not.toContain('saved');
    expect((screen.getByLabelText('Client Secret') as HTMLInputElement).value).toBe('secret-a');
    expect((box('Client ID') as HTMLInputElement).value).toBe('client-a');
  });

  it('OK validates like Login', async () => {
    await open();
    fill({ ...VALID, authority: 'http://example.com' });
    fireEvent.click(button('OK'));
    expect(box('Authority URL').getAttribute('aria-invalid')).toBe('true');
    await new Promise((r) => setTimeout(r, 10));
    expect(fakeBrowser.sendMessage).not.toHaveBeenCalled();
  });

  it('OK is not sent twice while the first is in flight', async () => {
    let answer: (v: unknown) => void = () => undefined;
    fakeBrowser.onMessage('saveSettings', () => new Promise((r) => (answer = r)) as never);
    await open();
    fill(VALID);
    fireEvent.click(button('OK'));
    fireEvent.click(button('OK'));
    await waitFor(() => expect((button('OK') as HTMLButtonElement).disabled).toBe(true));
    fireEvent.click(button('OK'));
    expect(fakeBrowser.sent('saveSettings')).toHaveLength(1);
    answer(ok({ settings: { ...SAVED, ...VALID } }));
    await screen.findByText('Settings saved to the repository.');
  });

  it('Cancel restores the saved values and clears the draft', async () => {
    await open({ settings: SAVED }, { draft: { nickname: 'X', authority: 'bad', clientId: 'y' } });
    fill({ clientSecret: 'typed' });
    fireEvent.click(button('Login'));
    expect(box('Authority URL').getAttribute('aria-invalid')).toBe('true');
    fireEvent.click(button('Cancel'));
    expect((box('Provider nickname') as HTMLInputElement).value).toBe('Okta');
    expect((box('Authority URL') as HTMLInputElement).value).toBe(SAVED.authority);
    expect((box('Client ID') as HTMLInputElement).value).toBe('saved-client');
    expect((screen.getByLabelText('Client Secret') as HTMLInputElement).value).toBe('');
    expect(box('Authority URL').getAttribute('aria-invalid')).toBeNull();
    expect(screen.getByRole('alert').textContent).toBe('Changes discarded.');
    await waitFor(() => expect(fakeBrowser.session.snapshot().draft).toBeNull());
    expect(fakeBrowser.sendMessage).not.toHaveBeenCalled();
  });

  it('follows settings saved elsewhere while nothing is edited', async () => {
    await open({ settings: SAVED });
    await fakeBrowser.local.set({ settings: { ...SAVED, clientId: 'changed-elsewhere' } });
    await waitFor(() =>
      expect((box('Client ID') as HTMLInputElement).value).toBe('changed-elsewhere'),
    );
  });
});

describe('Logout', () => {
  it('is always enabled, sends logout and confirms', async () => {
    fakeBrowser.onMessage('logout', () => ok({ cleared: true }));
    await open();
    fireEvent.click(button('Logout'));
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toBe('Logged out. All tokens and session data were cleared.');
    expect(fakeBrowser.sent('logout')).toEqual([{}]);
  });

  it('shows a logout error with its code', async () => {
    fakeBrowser.onMessage('logout', () => fail('internal', 'Storage is unavailable.'));
    await open({ auth: AUTHENTICATED });
    fireEvent.click(button('Logout'));
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('Logout unsuccessful: Storage is unavailable.');
    expect(alert.textContent).toContain('(code: internal)');
  });
});

describe('keyboard', () => {
  it('Enter in a field submits like OK', async () => {
    fakeBrowser.onMessage('saveSettings', () => ok({ settings: { ...SAVED } }));
    await open();
    fill(VALID);
    const form = box('Client ID').closest('form');
    expect(form).toBeTruthy();
    fireEvent.submit(form as HTMLFormElement);
    await screen.findByText('Settings saved to the repository.');
  });
});

function outcome(kind: 'success' | 'failure'): LoginOutcome {
  return kind === 'success'
    ? { outcome: 'success', message: 'Signed in.', error: null, at: Date.now() }
    : {
        outcome: 'failure',
        message: 'The user cancelled the sign-in.',
        error: { code: 'access_denied', message: 'The user cancelled the sign-in.' },
        at: Date.now(),
      };
}
