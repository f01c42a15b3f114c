/**
 * The SRP code is a lazy chunk (docs/benchmarks.md, P4.signOutOnly): a restored session never loads
 * it, and a chunk that will not load is a typed, retryable `Network` failure, not a crash.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { isAuthError } from '../../src/index.js';
import { make, RESULT, signal } from '../helpers/fake-cognito-fetch.js';

afterEach(() => {
  vi.doUnmock('../../src/adapters/cognito/srp.js');
  vi.resetModules();
});

describe('authchart/cognito: the SRP chunk', () => {
  it('a chunk that will not load fails the SRP sign-in with Network, before any request', async () => {
    vi.resetModules();
    vi.doMock('../../src/adapters/cognito/srp.js', () => {
      throw new TypeError('Failed to fetch dynamically imported module');
    });
    const { services, calls } = make(() => ({ body: RESULT }), {
      authFlow: 'USER_SRP_AUTH',
      userPoolId: 'eu-west-1_AbC123',
    });
    const failure = await services.signIn({ username: 'alice', password: 'pw' }, signal()).catch((e: unknown) => e);
    expect(isAuthError(failure) && failure.code).toBe('Network');
    expect((failure as Error).message).toBe('The SRP code could not be loaded (if this persists, reload the page)');
    expect(calls).toHaveLength(0);
  });

  it('refresh, GlobalSignOut and RevokeToken never need it (without a client secret: SECRET_HASH is in it)', async () => {
    vi.resetModules();
    vi.doMock('../../src/adapters/cognito/srp.js', () => {
      throw new TypeError('Failed to fetch dynamically imported module');
    });
    const { services } = make((c) =>
      c.target.endsWith('InitiateAuth') ? { body: { AuthenticationResult: { AccessToken: 'a', IdToken: 'i' } } } : {},
    );
    await expect(services.refresh('r-1', signal())).resolves.toEqual({ accessToken: 'a', idToken: 'i' });
    await expect(services.globalSignOut('acc', signal())).resolves.toBeUndefined();
    await expect(services.revokeToken('r-1', signal())).resolves.toBeUndefined();
  });
});
