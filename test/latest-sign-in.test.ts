/**
 * Storage is the truth across contexts (docs/storage.md), through the public API: several
 * `createAuth` instances over one storage and one sync bus. The latest sign-in wins and the session
 * it replaced is revoked (docs/sign-out.md row 26); a sign-out with nothing signed in here signs out
 * what another context just stored (row 12); a sign-out revokes the newest refresh token of its
 * session (rotated by another context, row 27); a full outbox says what it dropped.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { AuthError, type AuthEventPayload, createAuth, memoryStorage, memorySyncBus } from '../src/index.js';
import { sleep } from './helpers/async.js';
import { fakeServices } from './helpers/fakes.js';
import { readRecord } from './helpers/records.js';
import { makeTokens } from './helpers/tokens.js';

const CREDS = { username: 'alice@example.com', password: 'pw' };
const settle = () => sleep(20);
const stops: (() => void)[] = [];
afterEach(() => {
  for (const stop of stops.splice(0)) stop();
});

function context(
  storage: ReturnType<typeof memoryStorage>,
  bus: ReturnType<typeof memorySyncBus> | null,
  tokens = makeTokens(),
  extra: Partial<Parameters<typeof createAuth>[0]> = {},
) {
  const services = fakeServices(tokens);
  const sync = bus ? bus.connect : null;
  const auth = createAuth({ services, storage, sync, timeouts: { refreshRetryMs: 50 }, ...extra });
  stops.push(() => auth.stop());
  return { auth, services };
}

describe('the latest sign-in wins (docs/sign-out.md row 26)', () => {
  it('two contexts signing in at once end on the same session; the replaced one is revoked, none left at rest', async () => {
    const storage = memoryStorage();
    const bus = memorySyncBus();
    const a = context(storage, bus, makeTokens({ username: 'alice@example.com' }));
    const b = context(storage, bus, makeTokens({ username: 'zoe@example.com' }));
    await Promise.all([a.auth.ready, b.auth.ready]);
    await Promise.all([a.auth.signIn(CREDS), b.auth.signIn({ ...CREDS, username: 'zoe@example.com' })]);
    await settle();
    const stored = await readRecord(storage);
    expect(a.auth.getTokens()?.refreshToken).toBe(stored?.refreshToken);
    expect(b.auth.getTokens()?.refreshToken).toBe(stored?.refreshToken);
    // The loser's refresh token was revoked by the winner's outbox drain, and is nowhere in storage.
    const revoked = [...a.services.calls.revokeToken, ...b.services.calls.revokeToken].map((c) => c.arg);
    expect(revoked).toHaveLength(1);
    expect(revoked[0]).not.toBe(stored?.refreshToken);
    expect(JSON.stringify(storage.keys().map((k) => storage.getItem(k)))).not.toContain(String(revoked[0]));
    // One sign-out then leaves nothing of either session.
    const result = await a.auth.signOut();
    expect(result.status).toBe('complete');
    await settle();
    expect(storage.keys()).toEqual([]);
    expect(b.auth.state).toBe('signedOut');
  });

  it('signOut() while signed out, racing another context’s sign-in, signs that session out too', async () => {
    const storage = memoryStorage();
    const bus = memorySyncBus();
    const a = context(storage, bus);
    const b = context(storage, bus);
    await Promise.all([a.auth.ready, b.auth.ready]);
    const [, result] = await Promise.all([b.auth.signIn(CREDS), a.auth.signOut()]);
    await settle();
    // Whichever came last: either nothing was stored yet (complete, and b is still signed in with
    // storage holding its session), or a found b's session and signed it out (revoked, cleared).
    const stored = await readRecord(storage);
    if (stored) {
      expect(b.auth.getTokens()?.refreshToken).toBe(stored.refreshToken);
      expect(a.auth.getTokens()?.refreshToken).toBe(stored.refreshToken);
    } else {
      expect(result.status).toBe('complete');
      expect(a.services.calls.revokeToken).toHaveLength(1);
      expect(b.auth.state).toBe('signedOut');
    }
  });
});

describe('signOut() while this context saves its sign-in (docs/sign-out.md row 26)', () => {
  it('covers what storage holds: the session that sign-in would have replaced is signed out too, never followed', async () => {
    const storage = memoryStorage();
    const bus = memorySyncBus();
    // b's save of its sign-in waits, before it reads storage, until the test lets it go.
    let letGo = () => {};
    const held = new Promise<void>((resolve) => {
      letGo = resolve;
    });
    let holding = false;
    let failing = 0;
    const getItem = storage.getItem.bind(storage);
    const slowSaves = {
      ...storage,
      getItem: (key: string) => {
        if (!key.endsWith('.session')) return getItem(key);
        if (holding) return held.then(() => getItem(key));
        if (failing-- > 0) throw new Error('storage read failed');
        return getItem(key);
      },
    } as ReturnType<typeof memoryStorage>;
    const b = context(slowSaves, bus);
    await b.auth.ready;
    let answer = () => {};
    b.services.script.signIn = () =>
      new Promise((resolve) => {
        answer = () => resolve(makeTokens());
      });
    const signIn = b.auth.signIn(CREDS).catch((e: unknown) => e);
    // Meanwhile another context signs in: the session b's sign-in would replace.
    const older = makeTokens({ username: 'zoe@example.com' });
    const a = context(storage, bus, older);
    await a.auth.signIn({ ...CREDS, username: 'zoe@example.com' });
    holding = true;
    answer();
    await settle();
    expect(b.auth.state).toBe('signingIn.savingSession');
    const result = b.auth.signOut();
    holding = false;
    // The sign-out's journal then cannot read storage: the caller's ask to cover it must not hang on that read.
    failing = 1;
    letGo();
    expect(await signIn).toMatchObject({ code: 'Cancelled' });
    expect((await result).status).toBe('complete');
    await settle();
    expect(b.auth.state).toBe('signedOut');
    expect(a.auth.state).toBe('signedOut');
    expect(b.services.calls.revokeToken.map((c) => c.arg)).toContain(older.refreshToken);
    expect(await readRecord(storage)).toBeNull();
  });
});

describe('a sign-in that fails while another context signs in', () => {
  it('reads storage afterwards and follows that session (not signed out beside it)', async () => {
    const storage = memoryStorage();
    const bus = memorySyncBus();
    const b = context(storage, bus);
    await b.auth.ready;
    let fail = () => {};
    b.services.script.signIn = () =>
      new Promise((_, reject) => {
        fail = () => reject(new AuthError('Network', 'fetch failed'));
      });
    const signIn = b.auth.signIn(CREDS).catch((e: unknown) => e);
    const a = context(storage, bus, makeTokens({ username: 'zoe@example.com' }));
    await a.auth.signIn({ ...CREDS, username: 'zoe@example.com' });
    await settle();
    fail();
    expect(await signIn).toMatchObject({ code: 'Network' });
    await settle();
    expect(b.auth.state).toBe('signedIn.waitingToRefresh');
    expect(b.auth.getTokens()?.refreshToken).toBe(a.auth.getTokens()?.refreshToken);
  });
});

describe('a refresh token rotated by another context', () => {
  it('is the one a sign-out revokes, and nothing of the session stays valid or stored', async () => {
    const storage = memoryStorage();
    const bus = memorySyncBus();
    const first = makeTokens();
    const a = context(storage, bus, first);
    await a.auth.signIn(CREDS);
    const b = context(storage, bus, first);
    await b.auth.ready;
    // b refreshes with rotation: storage now holds the new refresh token; a still holds the old one.
    const rotated = { ...makeTokens(), refreshToken: 'rotated-refresh-token' };
    b.services.script.refresh = { ok: rotated };
    await b.auth.fetchTokens({ forceRefresh: true });
    expect((await readRecord(storage))?.refreshToken).toBe('rotated-refresh-token');
    expect(a.auth.getTokens()?.refreshToken).toBe(first.refreshToken);
    const result = await a.auth.signOut();
    expect(result.status).toBe('complete');
    expect(a.services.calls.revokeToken.map((c) => c.arg)).toContain('rotated-refresh-token');
    expect(storage.keys()).toEqual([]);
  });
});

/**
 * a signs in, b rotates the refresh token, then a signs out offline (`global` or not) and keeps
 * both tokens in the outbox; c never heard of either and still holds the first token.
 */
async function rotatedKeptOffline(global: boolean) {
  const storage = memoryStorage();
  const bus = memorySyncBus();
  const first = makeTokens();
  let online = true;
  const a = context(storage, bus, first, { deferRevocation: true, connectivity: { isOnline: () => online } });
  await a.auth.signIn(CREDS);
  const c = context(storage, null, first);
  const b = context(storage, bus, first);
  await Promise.all([b.auth.ready, c.auth.ready]);
  b.services.script.refresh = { ok: { ...makeTokens(), refreshToken: 'rotated-refresh-token' } };
  await b.auth.fetchTokens({ forceRefresh: true });
  online = false;
  expect(await a.auth.signOut({ global })).toMatchObject({ status: 'partial', deferred: true });
  expect(JSON.stringify(storage.keys().map((k) => storage.getItem(k)))).toContain('rotated-refresh-token');
  return { storage, first, c };
}

describe('a rotated refresh token kept in the outbox by an offline sign-out (row 27)', () => {
  it('is revoked by a later online sign-out of that session before it answers complete', async () => {
    const { storage, first, c } = await rotatedKeptOffline(false);
    const result = await c.auth.signOut();
    expect(result.status).toBe('complete');
    expect(c.services.calls.revokeToken.map((call) => call.arg)).toEqual([first.refreshToken, 'rotated-refresh-token']);
    expect(storage.keys()).toEqual([]);
  });

  it('kept for a global sign-out, is not merely revoked: the later sign-out runs the GlobalSignOut that waits with it', async () => {
    const { storage, first, c } = await rotatedKeptOffline(true);
    const result = await c.auth.signOut();
    expect(result).toMatchObject({ status: 'complete', scope: 'global' });
    expect(c.services.calls.revokeToken.map((call) => call.arg)).toEqual([first.refreshToken]);
    // The waiting token's access token went with it: a refresh first, then GlobalSignOut.
    expect(c.services.calls.refresh.map((call) => call.arg)).toEqual(['rotated-refresh-token']);
    expect(c.services.calls.globalSignOut).toHaveLength(1);
    expect(storage.keys()).toEqual([]);
  });

  it('when that GlobalSignOut cannot reach Cognito, the token stays in the outbox (never settled as if revoked), and the answer is not complete', async () => {
    const { storage, c } = await rotatedKeptOffline(true);
    c.services.script.refresh = { error: new AuthError('Network', 'connection reset') };
    const result = await c.auth.signOut();
    expect(result.status).toBe('partial');
    expect(result.steps.globalSignOut).toBe('failed');
    expect(JSON.stringify(storage.keys().map((k) => storage.getItem(k)))).toContain('rotated-refresh-token');
  });
});

describe('signOut() when another context signed in before it began (docs/sign-out.md row 26)', () => {
  it('signs out that newer session too: storage is empty when it answers, and both refresh tokens were revoked', async () => {
    const storage = memoryStorage();
    const first = makeTokens({ username: 'alice@example.com' });
    // a hears nothing from b: it still holds its own session when it signs out.
    const a = context(storage, null, first);
    const second = makeTokens({ username: 'zoe@example.com' });
    const b = context(storage, null, second);
    await b.auth.ready;
    await a.auth.signIn(CREDS);
    await b.auth.signIn({ ...CREDS, username: 'zoe@example.com' });
    expect((await readRecord(storage))?.refreshToken).toBe(second.refreshToken);
    const result = await a.auth.signOut();
    expect(result.status).toBe('complete');
    expect(a.auth.state).toBe('signedOut');
    const revoked = [...a.services.calls.revokeToken, ...b.services.calls.revokeToken].map((c) => c.arg);
    expect(revoked).toEqual(expect.arrayContaining([first.refreshToken, second.refreshToken]));
    expect(await readRecord(storage)).toBeNull();
  });
});

describe('a session a context finds at its start', () => {
  it('is announced: a context nobody told of it (its writer went away before saying so) follows it', async () => {
    const storage = memoryStorage();
    const bus = memorySyncBus();
    const b = context(storage, bus);
    await b.auth.ready;
    // A writer with no sync service stores a session and says nothing (as one killed right after its write).
    const writer = context(storage, null);
    await writer.auth.signIn(CREDS);
    await settle();
    expect(b.auth.state).toBe('signedOut');
    const c = context(storage, bus);
    await c.auth.ready;
    expect(c.auth.state).toMatch(/^signedIn/);
    await settle();
    expect(b.auth.state).toMatch(/^signedIn/);
  });
});

describe('a full outbox (maxDeferredRevocations)', () => {
  it('drops the oldest token and says how many, through deferredRevocationsDropped', async () => {
    const storage = memoryStorage();
    const services = fakeServices();
    services.script.signIn = async () => makeTokens();
    services.script.revokeToken = { error: new AuthError('Network', 'down') };
    const auth = createAuth({ services, storage, sync: null, deferRevocation: true, maxDeferredRevocations: 2 });
    stops.push(() => auth.stop());
    const dropped: AuthEventPayload<'deferredRevocationsDropped'>[] = [];
    auth.on('deferredRevocationsDropped', (e) => dropped.push(e));
    for (let i = 0; i < 3; i++) {
      await auth.signIn(CREDS);
      expect(await auth.signOut()).toMatchObject({ status: 'partial', deferred: true });
    }
    expect(dropped).toEqual([{ count: 1 }]);
    expect(() => createAuth({ services, storage, maxDeferredRevocations: 0 })).toThrow(/maxDeferredRevocations/);
  });
});
