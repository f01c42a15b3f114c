import { describe, expect, it } from 'vitest';
import { AuthError } from '../src/errors.js';
import { signOutResult, stepsNotRun, withEarlierRound } from '../src/machines/auth.logic.js';
import type { SignOutProgress } from '../src/machines/auth.types.js';

/**
 * A `signOut()` that, holding a session, finds another context's newer session in storage signs
 * that out too (a second round, docs/sign-out.md row 26): its callers' one answer reports both.
 */
const round = (over: Partial<SignOutProgress> = {}): SignOutProgress => ({
  scope: 'local',
  reason: 'signOut',
  username: 'alice@example.com',
  sessionId: 's',
  steps: stepsNotRun(),
  ...over,
});

describe('a sign-out answered for two rounds', () => {
  it('without a first round the answer is the second round as it is', () => {
    const p = round({ steps: { ...stepsNotRun(), revokeToken: 'done', clearCache: 'done' } });
    expect(withEarlierRound(p, null)).toBe(p);
  });

  it('RevokeToken failed in the first round and worked in the second: partial, with the first error, never complete', () => {
    const throttled = new AuthError('Throttled', 'RevokeToken: HTTP 429');
    const first = round({
      steps: { ...stepsNotRun(), revokeToken: 'failed', clearCache: 'done' },
      revokeTokenError: throttled,
    });
    const second = round({ sessionId: 'other', steps: { ...stepsNotRun(), revokeToken: 'done', clearCache: 'done' } });
    expect(signOutResult(second).status).toBe('complete');
    const answer = signOutResult(withEarlierRound(second, first));
    expect(answer).toMatchObject({ status: 'partial', steps: { revokeToken: 'failed', clearCache: 'done' } });
    expect(answer.status === 'partial' && answer.revokeTokenError).toBe(throttled);
  });

  it('skipped offline in the first round stays skipped; what the first round deferred stays said', () => {
    const offline = new AuthError('Offline', 'offline');
    const first = round({
      steps: { ...stepsNotRun(), revokeToken: 'skipped', clearCache: 'done' },
      revokeTokenError: offline,
      deferred: true,
    });
    const second = round({ steps: { ...stepsNotRun(), revokeToken: 'done', clearCache: 'done' } });
    expect(signOutResult(withEarlierRound(second, first))).toMatchObject({
      status: 'partial',
      deferred: true,
      steps: { revokeToken: 'skipped' },
    });
  });

  it('steps the first round did or never ran change nothing', () => {
    const first = round({ steps: { ...stepsNotRun(), revokeToken: 'done', clearCache: 'done' } });
    const second = round({ steps: { ...stepsNotRun(), globalSignOut: 'done', clearCache: 'done' } });
    expect(signOutResult(withEarlierRound(second, first))).toMatchObject({ status: 'complete' });
  });
});
