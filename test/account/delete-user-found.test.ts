/**
 * `deleteUser(auth)` against docs/sign-out.md ("Deleting the user", rows 30–33) and docs/guide.md
 * (fetchTokens): what the public-API model (test/model/public-api.test.ts) found, and one direct
 * probe the model's world cannot reach, each fixed in src and kept here as its regression test.
 * Gated fakes, fake time: every promise is tracked, never awaited.
 */
import { describe, expect, it, vi } from 'vitest';
import { deleteUser } from '../../src/account/index.js';
import { type Auth, AuthError, type AuthEventPayload, createAuth } from '../../src/index.js';
import {
  flush,
  gatedServices,
  gatedStorage,
  openGate,
  storedSession,
  T0,
  track,
  withGatedTestHooks,
} from '../helpers/gated.js';
import { makeTokens } from '../helpers/tokens.js';

const TIMEOUTS = {
  remoteStepMs: 1000,
  hostedUIMs: 1500,
  storageMs: 100,
  refreshLeewayMs: 1000,
  refreshRetryMs: 600_000,
};

const codeOf = (t: { error?: unknown }) =>
  t.error instanceof AuthError ? t.error.code : `not an AuthError: ${String(t.error)}`;

let auth: Auth | undefined;
withGatedTestHooks(() => auth);

/** Restored from storage (a password session, the access token fresh for an hour). */
async function signedIn() {
  const services = gatedServices();
  const storage = gatedStorage(storedSession());
  const a = createAuth({ services, storage, sync: null, timeouts: TIMEOUTS });
  auth = a;
  await flush();
  expect(a.state).toBe('signedIn.waitingToRefresh');
  return { auth: a, services, storage };
}

describe('deleteUser: what the public-API model found', () => {
  // Model: `tick deleteUser+fetchForce` from a stored session (any seed: the pair table has it).
  it('a fetchTokens() caller waiting on a refresh when the deletion starts is told Cancelled, like at a sign-out (docs/guide.md)', async () => {
    const { auth, services } = await signedIn();
    const deleting = track(deleteUser(auth));
    const fetching = track(auth.fetchTokens({ forceRefresh: true }));
    await flush();
    // DeleteUser runs; the refresh the caller waited on was cut short by leaving signedIn.
    expect(auth.state).toBe('signingOut.deletingUser');
    expect(services.open.map((g) => g.step)).toEqual(['deleteUser']);
    expect(deleting.settled).toBe(false);
    expect(fetching.settled).toBe(true);
    expect(codeOf(fetching)).toBe('Cancelled');
  });

  // Model: `tick deleteUser | tick signOutGlobal | env service` (random seed 20261206 found it with env cancel).
  it('a signOut({ global: true }) that joined a deletion whose DeleteUser failed runs as asked: GlobalSignOut (row 31, rows 1–9)', async () => {
    const { auth, services } = await signedIn();
    const deleting = track(deleteUser(auth));
    await flush();
    const signingOut = track(auth.signOut({ global: true }));
    await flush();
    openGate(services, 'deleteUser').reject(new AuthError('Service', 'down'));
    await flush();
    expect(codeOf(deleting)).toBe('Service');
    expect(auth.state).toBe('signingOut.signingOutGlobally');
    expect(signingOut.settled).toBe(false);
  });

  // Model: `tick adopt | tick deleteUser | env ok | env cancel`.
  it('a deleted hosted-UI user whose /logout is cancelled is not signed in again (row 30: never reported alive)', async () => {
    const services = gatedServices();
    const storage = gatedStorage({});
    auth = createAuth({ services, storage, sync: null, timeouts: TIMEOUTS });
    const a = auth;
    await flush();
    const adopting = track(a.adoptSession(makeTokens({ now: T0 }), { signedInWith: 'hostedUI' }));
    await flush();
    expect(adopting.settled).toBe(true);
    const reasons: AuthEventPayload<'signedOut'>['reason'][] = [];
    a.on('signedOut', (e) => reasons.push(e.reason));
    const deleting = track(deleteUser(a));
    await flush();
    openGate(services, 'deleteUser').resolve();
    await flush();
    openGate(services, 'hostedUISignOut').reject(new AuthError('Cancelled', 'the user closed the popup'));
    await flush();
    expect(a.state).toBe('signedOut');
    expect(reasons).toEqual(['userDeleted']);
    expect(deleting.value).toMatchObject({ deleted: true, cleared: true, result: { status: 'partial' } });
    expect(Object.keys(storage.dump())).toEqual([]);
  });

  // Not reachable in the public-API model's world (no time passes while signed out): a direct probe.
  it('storage failing for the journal and the clear: the back-off read does not restore the deleted user (row 32)', async () => {
    const { auth, services, storage } = await signedIn();
    const signedInEvents: unknown[] = [];
    auth.on('signedIn', (e) => signedInEvents.push(e));
    const deleting = track(deleteUser(auth));
    await flush();
    storage.mode = 'failing';
    openGate(services, 'deleteUser').resolve();
    await flush();
    expect(deleting.value).toMatchObject({ deleted: true, cleared: false });
    expect(auth.state).toBe('signedOut');
    storage.release();
    await vi.advanceTimersByTimeAsync(TIMEOUTS.refreshRetryMs);
    await flush();
    // The read after the back-off finds the record (no journal could be written): it finishes the clear.
    expect(signedInEvents).toEqual([]);
    expect(auth.state).toBe('signedOut');
  });
});
