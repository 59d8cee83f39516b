import { vi } from 'vitest';

vi.mock('webextension-polyfill', () => ({ default: {} }));

import { describe, expect, it } from 'vitest';
import { badgeFor } from '../../src/background/badge.ts';
import { SIGNED_OUT } from '../../src/shared/auth.ts';

describe('badgeFor', () => {
  it('shows ON and who is signed in when authenticated', () => {
    const b = badgeFor({
      ...SIGNED_OUT,
      status: 'authenticated',
      user: { sub: 's', email: 'dba@example.com' },
    });
    expect(b.text).toBe('ON');
    expect(b.title).toBe('SQL Safe OIDC: Authenticated as dba@example.com');
  });

  it('shows nothing when not authenticated', () => {
    const b = badgeFor(SIGNED_OUT);
    expect(b.text).toBe('');
    expect(b.title).toBe('SQL Safe OIDC: Not Authenticated');
  });

  it('shows ! and the reason when authentication failed', () => {
    const b = badgeFor({
      ...SIGNED_OUT,
      status: 'failed',
      reason: { code: 'invalid_grant', message: 'Session revoked' },
    });
    expect(b.text).toBe('!');
    expect(b.title).toContain('Authentication Failed (Session revoked)');
  });
});
