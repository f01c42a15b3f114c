import { afterAll, describe, expect, it, vi } from 'vitest';
import { AuthError, type AuthErrorCode, type SignOutResult } from '../src/index.js';
import type { Outcome } from './helpers/fakes.js';
import { ownKeys } from './helpers/fakes.js';
import { signedInHarness } from './helpers/harness.js';

const STEP_MS = 1000;
type Fault = 'ok' | '5xx' | 'throttled' | 'network' | 'hang' | 'offline' | 'notAuthorized' | 'unsupported';
const FAULTS: Fault[] = ['ok', '5xx', 'throttled', 'network', 'hang', 'offline', 'notAuthorized', 'unsupported'];

const remote: Record<Fault, { outcome: Outcome; code: AuthErrorCode | null; network: boolean }> = {
  ok: { outcome: { ok: undefined }, code: null, network: false },
  '5xx': {
    outcome: { error: new AuthError('Service', 'HTTP 500 InternalErrorException') },
    code: 'Service',
    network: false,
  },
  throttled: { outcome: { error: new AuthError('Throttled', 'Rate exceeded') }, code: 'Throttled', network: false },
  network: { outcome: { error: new AuthError('Network', 'fetch failed') }, code: 'Network', network: true },
  hang: { outcome: 'hang', code: 'Timeout', network: true },
  offline: { outcome: { ok: undefined }, code: 'Offline', network: true },
  notAuthorized: {
    outcome: { error: new AuthError('NotAuthorized', 'Token revoked') },
    code: 'NotAuthorized',
    network: false,
  },
  unsupported: {
    outcome: { error: new AuthError('RevocationUnsupported', 'disabled') },
    code: 'RevocationUnsupported',
    network: false,
  },
};

/** The rules of docs/sign-out.md, as the matrix expects them (revocable session, policy "auto"). */
function expected(scope: 'local' | 'global', fault: Fault, storageThrows: boolean) {
  const f = remote[fault];
  const errors: { globalSignOutError?: AuthErrorCode; revokeTokenError?: AuthErrorCode } = {};
  let boundMs = 0;
  if (scope === 'global') {
    if (f.code) {
      errors.globalSignOutError = f.code;
      errors.revokeTokenError = f.code; // service error: the fallback revoke fails the same way; network: skipped with it
    }
    boundMs = fault === 'hang' ? STEP_MS : 0;
  } else {
    if (f.code) errors.revokeTokenError = f.code;
    boundMs = fault === 'hang' ? STEP_MS : 0;
  }
  const status = storageThrows ? 'failed' : f.code ? 'partial' : 'complete';
  // What each step did: offline skips both, a network failure of GlobalSignOut skips the revoke.
  const ran = fault === 'offline' ? 'skipped' : f.code ? 'failed' : 'done';
  const steps =
    scope === 'local'
      ? { globalSignOut: 'notRun', revokeToken: ran }
      : {
          globalSignOut: ran,
          revokeToken: fault === 'ok' ? 'notRun' : f.network ? 'skipped' : 'failed',
        };
  const clearCache = storageThrows ? 'failed' : 'done';
  return {
    status,
    errors,
    steps: { hostedUISignOut: 'notRun', ...steps, clearCache },
    state: storageThrows ? 'signedIn' : 'signedOut',
    keysLeft: storageThrows ? 1 : 0, // the session is one record
    boundMs,
  };
}

let cells = 0;
let tokensLeftWhereStorageWorked = 0;
afterAll(() => {
  console.info(`fault matrix: ${cells} cells, ${tokensLeftWhereStorageWorked} tokens left where storage worked`);
});

describe('fault matrix: {local, global} × 8 remote faults × {storage ok, storage throws on remove}', () => {
  const rows = (['local', 'global'] as const).flatMap((scope) =>
    FAULTS.flatMap((fault) => [false, true].map((storageThrows) => ({ scope, fault, storageThrows }))),
  );

  it.each(rows)('$scope × $fault × storage throws: $storageThrows', async ({ scope, fault, storageThrows }) => {
    vi.useFakeTimers();
    try {
      const h = await signedInHarness({ auth: { timeouts: { remoteStepMs: STEP_MS } } });
      const f = remote[fault];
      h.services.script.globalSignOut = f.outcome;
      h.services.script.revokeToken = f.outcome;
      if (fault === 'offline') h.connectivity.set(false);
      if (storageThrows) h.storage.faults.remove = true;
      const exp = expected(scope, fault, storageThrows);

      const t0 = Date.now();
      let result: SignOutResult | undefined;
      let settledAt = Number.NaN;
      void h.auth.signOut({ global: scope === 'global' }).then((r) => {
        settledAt = Date.now();
        result = r;
      });
      // Fake time: it settles exactly at its bound (one step timeout for a hang, at once otherwise).
      if (exp.boundMs > 0) {
        await vi.advanceTimersByTimeAsync(exp.boundMs - 1);
        expect(result, 'settled before its step timed out').toBeUndefined();
      }
      await vi.advanceTimersByTimeAsync(exp.boundMs > 0 ? 1 : 0);
      expect(result, 'did not settle within the bound').toBeDefined();
      const r = result as SignOutResult;
      expect(settledAt - t0).toBe(exp.boundMs);
      expect(r.status).toBe(exp.status);
      expect(r.steps).toEqual(exp.steps);
      const got = r as { globalSignOutError?: AuthError; revokeTokenError?: AuthError };
      expect({ g: got.globalSignOutError?.code, k: got.revokeTokenError?.code }).toEqual({
        g: exp.errors.globalSignOutError,
        k: exp.errors.revokeTokenError,
      });
      if (r.status === 'failed') expect(r.error.code).toBe('StorageFailure');
      expect(h.auth.state.split('.')[0]).toBe(exp.state);
      const left = ownKeys(h.storage).filter((k) => k !== 'authchart.client123.signOutJournal');
      expect(left).toHaveLength(exp.keysLeft);
      expect(h.storage.dump()['app.theme']).toBe('dark');
      // Never two calls of a step in one sign-out.
      expect(h.services.calls.globalSignOut.length).toBeLessThanOrEqual(1);
      expect(h.services.calls.revokeToken.length).toBeLessThanOrEqual(1);
      cells++;
      if (!storageThrows) tokensLeftWhereStorageWorked += left.length;
      h.auth.stop();
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('stress', () => {
  it('50 concurrent signOut() calls (global first) make one call per step and get 50 identical results', async () => {
    const h = await signedInHarness();
    h.services.script.globalSignOut = { error: new AuthError('Service', 'HTTP 500') };
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => h.auth.signOut({ global: i % 2 === 0 })));
    expect(h.services.calls.globalSignOut).toHaveLength(1);
    expect(h.services.calls.revokeToken).toHaveLength(1);
    expect(new Set(results).size).toBe(1);
    expect(results[0]).toMatchObject({ status: 'partial', scope: 'global' });
    expect(ownKeys(h.storage)).toEqual([]);
  });
});
