// @vitest-environment happy-dom
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/preact';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { App } from '../../src/popup/App.tsx';
import { fakeBrowser } from './support/fakeBrowser.ts';

vi.mock('webextension-polyfill', async () => ({
  default: (await import('./support/fakeBrowser.ts')).fakeBrowser.browser,
}));

beforeEach(() => fakeBrowser.reset());
afterEach(() => cleanup());

async function open(local: Record<string, unknown> = {}) {
  fakeBrowser.local.seed(local);
  render(<App />);
  await screen.findByRole('status');
}

describe('relay port (macOS AirPlay holds 5000)', () => {
  it('shows the stored port and the matching callback URL', async () => {
    await open({ relayPort: 5050 });
    expect((screen.getByRole('textbox', { name: 'Relay port' }) as HTMLInputElement).value).toBe(
      '5050',
    );
    expect(screen.getByText('http://localhost:5050/callback/')).toBeTruthy();
  });

  it('stores a valid port and the callback URL follows', async () => {
    await open();
    fireEvent.input(screen.getByRole('textbox', { name: 'Relay port' }), {
      target: { value: '5123' },
    });
    fireEvent.click(screen.getByRole('button', { name: 'Use port' }));
    await waitFor(() => expect(fakeBrowser.local.data.get('relayPort')).toBe(5123));
    await screen.findByText('http://localhost:5123/callback/');
  });

  it.each(['0', '70000', 'abc', '50 00', ''])('refuses %j and changes nothing', async (value) => {
    await open({ relayPort: 5000 });
    fireEvent.input(screen.getByRole('textbox', { name: 'Relay port' }), { target: { value } });
    fireEvent.click(screen.getByRole('button', { name: 'Use port' }));
    await screen.findByText('Enter a port number from 1 to 65535.');
    expect(fakeBrowser.local.data.get('relayPort')).toBe(5000);
  });
});
