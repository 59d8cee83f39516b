/**
 * The extension's trust boundaries, checked statically and with fakes:
 * - manifest.json gives web pages no way in (no content scripts, no
 *   web-accessible resources, no external messaging) and asks for host
 *   access to the relay only (DESIGN.md "Permissions: least privilege");
 * - extension storage, where the tokens live, is restricted to trusted
 *   contexts wherever the browser allows it;
 * - the relay's ID token rejections reach the popup in its own words.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';

vi.mock('webextension-polyfill', async () => ({
  default: (await import('./support/fakeBrowser.ts')).fakeBrowser.browser,
}));

import { fromProviderError } from '../../src/background/providerErrors.ts';
import { restrictToTrustedContexts } from '../../src/shared/storage.ts';

const manifest = JSON.parse(readFileSync(new URL('../../manifest.json', import.meta.url), 'utf8'));

describe('manifest.json: nothing a web page can reach', () => {
  // A content script runs in a web page's process and (in Firefox) can read storage.local,
  // where the tokens are. If one is ever needed (DESIGN.md mentions a Firefox callback
  // script), change this test on purpose, keep tokens out of its reach, and restrict it to
  // the relay's /callback/ page.
  it('declares no content scripts (tokens must never reach a page context)', () => {
    expect(manifest.content_scripts).toBeUndefined();
  });

  it('exposes no extension page or file to web pages', () => {
    expect(manifest.web_accessible_resources).toBeUndefined();
  });

  it('accepts no messages from web pages or other extensions', () => {
    expect(manifest.externally_connectable).toBeUndefined();
  });

  it('asks for storage and alarms only, and host access to the local relay only', () => {
    expect([...manifest.permissions].sort()).toEqual(['alarms', 'storage']);
    expect(manifest.optional_permissions ?? []).toEqual([]);
    expect([...manifest.host_permissions].sort()).toEqual([
      'http://127.0.0.1/*',
      'http://localhost/*',
    ]);
  });

  it('runs only its own scripts on its pages', () => {
    const csp: string = manifest.content_security_policy.extension_pages;
    expect(csp).toMatch(/script-src 'self'(;|$)/);
    expect(csp).not.toMatch(/unsafe-eval|unsafe-inline|https?:\/\/\*/);
  });
});

describe('restrictToTrustedContexts', () => {
  it('restricts storage.local and storage.session to trusted contexts where supported', async () => {
    const local = { setAccessLevel: vi.fn(async () => undefined) };
    const session = { setAccessLevel: vi.fn(async () => undefined) };
    expect(await restrictToTrustedContexts({ local, session })).toEqual(['local', 'session']);
    expect(local.setAccessLevel).toHaveBeenCalledWith({ accessLevel: 'TRUSTED_CONTEXTS' });
    expect(session.setAccessLevel).toHaveBeenCalledWith({ accessLevel: 'TRUSTED_CONTEXTS' });
  });

  it('skips an area without the method (Firefox: storage.local) or refusing it', async () => {
    const session = { setAccessLevel: vi.fn(async () => undefined) };
    const refusing = {
      setAccessLevel: vi.fn(async () => {
        throw new Error('This StorageArea does not support setAccessLevel');
      }),
    };
    expect(await restrictToTrustedContexts({ local: {}, session })).toEqual(['session']);
    expect(await restrictToTrustedContexts({ local: refusing, session })).toEqual(['session']);
  });
});

describe("the relay's ID token rejection in the popup", () => {
  it("shows the relay's own sentence, not 'The provider said'", () => {
    const e = fromProviderError(
      {
        error: 'invalid_id_token',
        error_description:
          "The provider's ID token was rejected: its signature does not match the provider's keys (it was altered or forged).",
      },
      'token',
    );
    expect(e.code).toBe('invalid_id_token');
    expect(e.message).toMatch(/^The provider's ID token was rejected: its signature/);
    expect(e.message).not.toMatch(/The provider said/);
    expect(e.detail).toBe('checked by the local relay');
  });
});
