/**
 * What the store keeps, through the public API: a sign-out journal belongs to one session; a
 * replaced session's token that a full outbox could not keep is reported; a corrupt token file is
 * reported at start; the old layout's refresh token is not removed unrevoked. See docs/storage.md
 * and docs/sign-out.md rows 16a, 24, 29.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fileStorage } from '../src/bindings/node.js';
import {
  AuthError,
  type AuthEventPayload,
  createAuth,
  memoryStorage,
  type TokenStorage,
  type Tokens,
} from '../src/index.js';
import { deferred, fakeServices, faultyStorage, ownKeys } from './helpers/fakes.js';
import { readRecord } from './helpers/records.js';
import { makeTokens } from './helpers/tokens.js';

const ALICE = { username: 'alice@example.com', password: 'pw' };
const ZOE = { username: 'zoe@example.com', password: 'pw' };
const JOURNAL = 'authchart.client123.signOutJournal';
const RECORD = 'authchart.client123.session';
const stops: (() => void)[] = [];
afterEach(() => {
  for (const stop of stops.splice(0)) stop();
});

/** One context (a tab, a process) over the shared storage; no sync bus, so only storage links them. */
function context(
  storage: TokenStorage,
  tokens: Tokens = makeTokens(),
  options: { maxDeferredRevocations?: number; deferRevocation?: boolean } = {},
) {
  const services = fakeServices(tokens);
  const auth = createAuth({ services, storage, sync: null, ...options });
  stops.push(() => auth.stop());
  return { auth, services };
}

const revokedBy = (...contexts: { services: ReturnType<typeof fakeServices> }[]) =>
  contexts.flatMap((c) => c.services.calls.revokeToken.map((call) => call.arg));

describe('a sign-out journal names its session', () => {
  it('a start beside a live sign-out restores the newer sign-in, and never revokes it', async () => {
    const storage = memoryStorage();
    const zoeTokens = makeTokens({ username: ZOE.username });
    const a = context(storage, makeTokens());
    const b = context(storage, zoeTokens);
    await Promise.all([a.auth.ready, b.auth.ready]);
    await a.auth.signIn(ALICE);
    // A's RevokeToken is slow: its journal is in storage meanwhile.
    const started = deferred();
    const gate = deferred();
    a.services.script.revokeToken = () => {
      started.resolve();
      return gate.promise;
    };
    const aSignOut = a.auth.signOut();
    await started.promise;
    expect(await storage.getItem(JOURNAL)).not.toBeNull();
    await b.auth.signIn(ZOE);

    const c = context(storage, zoeTokens);
    const signedOut: AuthEventPayload<'signedOut'>[] = [];
    c.auth.on('signedOut', (e) => signedOut.push(e));
    await c.auth.ready;
    expect(c.auth.state).toMatch(/^signedIn/);
    expect(c.auth.getTokens()?.refreshToken).toBe(zoeTokens.refreshToken);
    expect(signedOut).toEqual([]);

    gate.resolve();
    await aSignOut;
    expect(revokedBy(a, b, c)).not.toContain(zoeTokens.refreshToken);
    expect((await readRecord(storage))?.refreshToken).toBe(zoeTokens.refreshToken);
  });

  it('a journal a failed clear kept does not sign out the session stored after it (row 24)', async () => {
    const storage = faultyStorage();
    const zoeTokens = makeTokens({ username: ZOE.username });
    const a = context(storage, makeTokens());
    const b = context(storage, zoeTokens);
    await Promise.all([a.auth.ready, b.auth.ready]);
    await a.auth.signIn(ALICE);
    storage.faults.remove = true;
    expect(await a.auth.signOut()).toMatchObject({ status: 'failed' });
    storage.faults.remove = false;
    expect(await storage.getItem(JOURNAL)).not.toBeNull();
    await b.auth.signIn(ZOE);

    const c = context(storage, zoeTokens);
    await c.auth.ready;
    expect(c.auth.state).toMatch(/^signedIn/);
    expect(c.auth.getTokens()?.refreshToken).toBe(zoeTokens.refreshToken);
    expect(revokedBy(a, b, c)).not.toContain(zoeTokens.refreshToken);
    expect((await readRecord(storage))?.refreshToken).toBe(zoeTokens.refreshToken);
    // That journal is finished: the next start does not find it again.
    expect(await storage.getItem(JOURNAL)).toBeNull();
  });
});

describe('a sign-in that replaces another context’s session', () => {
  it('says how many tokens a full outbox dropped, through deferredRevocationsDropped', async () => {
    const storage = memoryStorage();
    const network = { error: new AuthError('Network', 'down') };
    const a = context(storage, makeTokens(), { deferRevocation: true, maxDeferredRevocations: 1 });
    a.services.script.signIn = async () => makeTokens();
    a.services.script.revokeToken = network;
    await a.auth.ready;
    await a.auth.signIn(ALICE);
    // The outbox now holds one token (its cap): the sign-out could not revoke it.
    expect(await a.auth.signOut()).toMatchObject({ status: 'partial', deferred: true });
    const b = context(storage, makeTokens({ username: ZOE.username }), { maxDeferredRevocations: 1 });
    b.services.script.revokeToken = network;
    await b.auth.ready;
    await a.auth.signIn(ALICE);
    const dropped: AuthEventPayload<'deferredRevocationsDropped'>[] = [];
    b.auth.on('deferredRevocationsDropped', (e) => dropped.push(e));
    await b.auth.signIn(ZOE);
    expect(dropped).toEqual([{ count: 1 }]);
  });
});

describe('a corrupt token file', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('is reported at start: ready resolves signed out, with a signedOut event carrying StorageCorrupt', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'authchart-corrupt-'));
    dirs.push(dir);
    const path = join(dir, 'tokens.json');
    writeFileSync(path, '{"authchart.client123.session": "{\\"v\\":1,', { mode: 0o600 });
    const { auth } = context(fileStorage(path));
    const signedOut: AuthEventPayload<'signedOut'>[] = [];
    auth.on('signedOut', (e) => signedOut.push(e));
    await auth.ready;
    expect(auth.state).toBe('signedOut');
    expect(signedOut).toHaveLength(1);
    expect(signedOut[0]).toMatchObject({ reason: 'invalidSession', error: { code: 'StorageFailure' } });
    const error = (signedOut[0] as { error?: AuthError }).error;
    expect(error?.cause).toMatchObject({ code: 'StorageCorrupt' });
  });
});

describe('the old layout’s keys beside a session record', () => {
  it('a sign-out revokes their refresh token before removing them, and its answer says so', async () => {
    const storage = faultyStorage();
    const { auth, services } = context(storage, makeTokens());
    await auth.ready;
    await auth.signIn(ALICE);
    // An authchart 0.1 session left beside the record (another app version, a migration cut short).
    const old = makeTokens({ username: 'bob@example.com' });
    const p = 'authchart.client123.';
    storage.setItem(`${p}lastAuthUser`, 'bob@example.com');
    storage.setItem(`${p}bob@example.com.accessToken`, old.accessToken);
    storage.setItem(`${p}bob@example.com.idToken`, old.idToken);
    storage.setItem(`${p}bob@example.com.refreshToken`, old.refreshToken);

    const result = await auth.signOut();
    expect(result).toMatchObject({ status: 'partial', oldLayoutToken: { deferred: true } });
    await vi.waitFor(() => expect(services.calls.revokeToken.map((c) => c.arg)).toContain(old.refreshToken));
    await vi.waitFor(() => expect(ownKeys(storage)).toEqual([]));
  });

  it('a sign-out whose outbox cannot keep that token says it was not revoked', async () => {
    const storage = faultyStorage();
    const { auth } = context(storage, makeTokens());
    await auth.ready;
    await auth.signIn(ALICE);
    const old = makeTokens({ username: 'bob@example.com' });
    const p = 'authchart.client123.';
    storage.setItem(`${p}lastAuthUser`, 'bob@example.com');
    storage.setItem(`${p}bob@example.com.refreshToken`, old.refreshToken);
    storage.faults.set = true;
    const result = await auth.signOut();
    expect(result).toMatchObject({
      status: 'partial',
      oldLayoutToken: { deferred: false, error: { code: 'StorageFailure' } },
    });
  });

  it('a start restores the record, revokes their refresh token and then removes their keys (a migration cut short by a newer sign-in)', async () => {
    const storage = faultyStorage();
    const first = context(storage, makeTokens());
    await first.auth.ready;
    await first.auth.signIn(ALICE);
    first.auth.stop();
    const old = makeTokens({ username: 'bob@example.com' });
    const p = 'authchart.client123.';
    storage.setItem(`${p}lastAuthUser`, 'bob@example.com');
    storage.setItem(`${p}bob@example.com.refreshToken`, old.refreshToken);

    const { auth, services } = context(storage, makeTokens());
    await auth.ready;
    expect(auth.getSession()?.username).toBe(ALICE.username);
    // Its keys are gone and its token waits in the outbox: the next drain revokes it.
    await vi.waitFor(() => expect(ownKeys(storage).filter((k) => !k.includes('.outbox'))).toEqual([RECORD]));
    expect(await auth.retryDeferredRevocations()).toEqual({ settled: 1, remaining: 0 });
    expect(services.calls.revokeToken.map((c) => c.arg)).toEqual([old.refreshToken]);
  });

  it('alone, with no record (a migration not done yet), found by a clear whose read of storage failed first: their refresh token is kept for revocation before they go', async () => {
    const old = makeTokens({ username: 'bob@example.com' });
    const p = 'authchart.client123.';
    const storage = faultyStorage({
      [`${p}lastAuthUser`]: 'bob@example.com',
      [`${p}bob@example.com.accessToken`]: old.accessToken,
      [`${p}bob@example.com.idToken`]: old.idToken,
      [`${p}bob@example.com.refreshToken`]: old.refreshToken,
    });
    // Every read of the journal fails: no start or restore can read storage, so signOut() goes
    // straight to the clear (it cannot know storage is empty), which reads the keys it removes.
    const getItem = storage.getItem;
    storage.getItem = (key) => {
      if (key === JOURNAL) throw new Error('storage read failed');
      return getItem(key);
    };
    const { auth, services } = context(storage, makeTokens());
    await auth.ready;
    expect(auth.getSession()).toBeNull();
    const result = await auth.signOut();
    expect(result).toMatchObject({ status: 'partial', oldLayoutToken: { deferred: true } });
    await vi.waitFor(() => expect(services.calls.revokeToken.map((c) => c.arg)).toContain(old.refreshToken));
    expect(ownKeys(storage).filter((k) => !k.includes('.outbox'))).toEqual([]);
  });
});
