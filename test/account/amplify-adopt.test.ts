/**
 * `adoptAmplifySession(auth, storage)`: Amplify v6's keys adopted through the chart, then removed,
 * in an order no crash turns into a lost or doubled session (docs/account.md, "Moving from Amplify").
 * test/integration/amplify-adopt.test.ts runs it on storage the real Amplify wrote.
 */
import { describe, expect, it } from 'vitest';
import { type AmplifyStorage, adoptAmplifySession } from '../../src/account/index.js';
import { isAuthError, memoryStorage, memorySyncBus, type Tokens } from '../../src/index.js';
import { accountInstances, accountTokens, failure } from '../helpers/account.js';
import { makeTokens } from '../helpers/tokens.js';

const { signedIn, signedOut } = accountInstances();
const BASE = 'CognitoIdentityServiceProvider.client-1';
const USER = 'alice-sub';
const key = (field: string) => `${BASE}.${USER}.${field}`;
const SESSION = 'authchart.client-1.session';
const DEVICE = [key('deviceKey'), key('randomPasswordKey'), key('deviceGroupKey')];

/** What Amplify v6's TokenStore writes after a sign-in (with a remembered device). */
function amplifyKeys(tokens: Tokens = accountTokens, extra: Record<string, string> = {}): Record<string, string> {
  return {
    [`${BASE}.LastAuthUser`]: USER,
    [key('accessToken')]: tokens.accessToken,
    [key('idToken')]: tokens.idToken,
    [key('refreshToken')]: tokens.refreshToken,
    [key('clockDrift')]: '-12',
    [key('signInDetails')]: '{"loginId":"alice@example.com","authFlowType":"USER_PASSWORD_AUTH"}',
    [key('deviceKey')]: 'eu-west-1_device-1',
    [key('randomPasswordKey')]: 'device-password-secret',
    [key('deviceGroupKey')]: '-device-group',
    ...extra,
  };
}

/** A Map-backed storage: sync like localStorage, or async; `onRemove` may throw or hang. */
function store(initial: Record<string, unknown>, opts: { async?: boolean; onRemove?: (k: string) => unknown } = {}) {
  const map = new Map<string, unknown>(Object.entries(initial));
  const storage = {
    getItem: (k: string) => (opts.async ? Promise.resolve(map.get(k) ?? null) : (map.get(k) ?? null)),
    removeItem: (k: string) => {
      const hook = opts.onRemove?.(k);
      if (hook instanceof Promise) return hook.then(() => void map.delete(k));
      map.delete(k);
      return opts.async ? Promise.resolve() : undefined;
    },
  } as AmplifyStorage;
  return { storage, map, keys: () => [...map.keys()].sort() };
}

const tokenStrings = (t: Tokens) => [t.accessToken, t.idToken, t.refreshToken];
/** Every text an error carries: message, stack, JSON, causes. */
function texts(e: unknown): string {
  const out: string[] = [];
  for (let c: unknown = e, i = 0; c && i < 10; c = (c as { cause?: unknown }).cause, i++) {
    out.push(String(c), String((c as Error).stack), JSON.stringify(c) ?? '');
  }
  return out.join('\n');
}

/** The order removal must keep: everything else, the refresh token, then the pointer. */
const ORDER = [
  key('accessToken'),
  key('idToken'),
  key('clockDrift'),
  key('signInDetails'),
  key('refreshToken'),
  `${BASE}.LastAuthUser`,
];

describe('adoptAmplifySession: adopted through the chart, then Amplify’s keys removed', () => {
  it('nothing there: adopted false, reason none, nothing touched', async () => {
    const { auth } = signedOut(() => ({}));
    const s = store({ 'app.theme': 'dark' });
    expect(await adoptAmplifySession(auth, s.storage)).toEqual({
      adopted: false,
      reason: 'none',
      removedKeys: [],
      keptKeys: [],
      leftKeys: [],
    });
    expect(auth.getSession()).toBeNull();
    expect(s.keys()).toEqual(['app.theme']);
  });

  for (const async of [false, true]) {
    it(`adopts (${async ? 'async' : 'sync'} storage), removes the session's keys in order, keeps the device keys`, async () => {
      const { auth, calls } = signedOut(() => ({}));
      const removed: string[] = [];
      const s = store({ ...amplifyKeys(), 'app.theme': 'dark' }, { async, onRemove: (k) => removed.push(k) });
      const answer = await adoptAmplifySession(auth, s.storage);
      expect(answer).toEqual({
        adopted: true,
        username: 'alice@example.com',
        alreadyAdopted: false,
        removedKeys: ORDER,
        keptKeys: DEVICE,
        leftKeys: [],
      });
      expect(removed).toEqual(ORDER);
      expect(auth.getSession()).toMatchObject({ username: 'alice@example.com', signedInWith: 'password' });
      expect(auth.getTokens()).toEqual(accountTokens);
      expect(s.keys()).toEqual(['app.theme', ...DEVICE].sort());
      expect(calls).toHaveLength(0); // adopted as stored: no request
    });
  }

  it("on authchart's own storage: one record written, Amplify's session keys gone; hostedUI kept as such", async () => {
    const shared = memoryStorage(
      Object.entries(amplifyKeys(accountTokens, { [key('oauthMetadata')]: '{"oauthSignIn":true}' })),
    );
    const { auth } = signedOut(() => ({}), { storage: shared });
    const answer = await adoptAmplifySession(auth, shared);
    expect(answer.adopted && answer.removedKeys).toContain(key('oauthMetadata'));
    expect(auth.getSession()?.signedInWith).toBe('hostedUI');
    expect(shared.keys().sort()).toEqual([SESSION, ...DEVICE].sort());
  });

  it('a token-less leftover (a removal cut short after the refresh token): the pointer goes, nothing adopted', async () => {
    const { auth } = signedOut(() => ({}));
    const s = store({ [`${BASE}.LastAuthUser`]: USER, [key('clockDrift')]: '0', [key('deviceKey')]: 'd-1' });
    expect(await adoptAmplifySession(auth, s.storage)).toEqual({
      adopted: false,
      reason: 'none',
      removedKeys: [key('clockDrift'), `${BASE}.LastAuthUser`],
      keptKeys: [key('deviceKey')],
      leftKeys: [],
    });
    expect(s.keys()).toEqual([key('deviceKey')]);
    expect(auth.getSession()).toBeNull();
  });
});

describe('adoptAmplifySession: refusals remove nothing and show no token', () => {
  const errors: unknown[] = [];
  const refused = async (initial: Record<string, unknown>, code: string, async = false) => {
    const { auth } = signedOut(() => ({}));
    const s = store(initial, { async });
    const before = s.keys();
    const e = await failure(adoptAmplifySession(auth, s.storage));
    errors.push(e);
    expect(isAuthError(e) && e.code).toBe(code);
    expect(s.keys()).toEqual(before);
    expect(auth.getSession()).toBeNull();
    return e;
  };

  it('torn (no refresh token, as a crash inside Amplify’s own write leaves it): InvalidToken', async () => {
    const { [key('refreshToken')]: _, ...torn } = amplifyKeys();
    await refused(torn, 'InvalidToken');
  });

  it('oversized or garbage values: InvalidInput, before the chart sees them', async () => {
    await refused(
      amplifyKeys(accountTokens, { [key('accessToken')]: `${accountTokens.accessToken}${'x'.repeat(20_000)}` }),
      'InvalidInput',
    );
    await refused({ ...amplifyKeys(), [key('idToken')]: { token: accountTokens.idToken } }, 'InvalidInput', true);
    await refused({ ...amplifyKeys(), [`${BASE}.LastAuthUser`]: 'u'.repeat(600) }, 'InvalidInput');
    await refused({ ...amplifyKeys(), [`${BASE}.LastAuthUser`]: 42 }, 'InvalidInput', true);
  });

  it("tokens failing the chart's checks (another app client's, not JWTs): InvalidToken", async () => {
    await refused(amplifyKeys(makeTokens({ clientId: 'other-client' })), 'InvalidToken');
    await refused(amplifyKeys({ ...accountTokens, accessToken: 'not-a-jwt-at-all' }), 'InvalidToken');
  });

  it('a read that fails quoting a token: StorageFailure, without it', async () => {
    const { auth } = signedOut(() => ({}));
    const s = store(amplifyKeys());
    const inner = s.storage.getItem;
    s.storage.getItem = (k) => {
      if (k === key('refreshToken')) throw new Error(`disk error reading ${accountTokens.accessToken}`);
      return inner(k);
    };
    const e = await failure(adoptAmplifySession(auth, s.storage));
    errors.push(e);
    expect(isAuthError(e) && e.code).toBe('StorageFailure');
    expect(s.keys()).toEqual(Object.keys(amplifyKeys()).sort());
  });

  it('already signed in with another session: AlreadySignedIn, nothing removed, the session kept', async () => {
    const { auth } = await signedIn(() => ({}));
    const other = makeTokens({ clientId: 'client-1', username: 'bob@example.com' });
    const s = store(amplifyKeys(other));
    const e = await failure(adoptAmplifySession(auth, s.storage));
    errors.push(e);
    expect(isAuthError(e) && e.code).toBe('AlreadySignedIn');
    expect(s.keys()).toEqual(Object.keys(amplifyKeys(other)).sort());
    expect(auth.getTokens()).toEqual(accountTokens);
  });

  it('no token is in any of these errors', () => {
    expect(errors.length).toBeGreaterThanOrEqual(9);
    const all = errors.map(texts).join('\n');
    for (const t of [...tokenStrings(accountTokens), 'device-password-secret']) expect(all).not.toContain(t);
    expect(all).not.toMatch(/eyJ[\w-]+\.eyJ/);
  });
});

describe('adoptAmplifySession: crashes and failed removals', () => {
  it("a crash during the adoption (authchart's write never answers): Amplify's keys whole; the rerun adopts", async () => {
    const authStorage = memoryStorage();
    const set = authStorage.setItem.bind(authStorage);
    let hang = true;
    let die = () => {};
    // The write never lands: it fails once the process is gone (a second instance in this same
    // process would otherwise wait for the in-process lock until storageMs).
    authStorage.setItem = (k, v, o) =>
      hang ? new Promise<void>((_, reject) => (die = () => reject(new Error('process gone')))) : set(k, v, o);
    const first = signedOut(() => ({}), { storage: authStorage });
    const s = store(amplifyKeys());
    void adoptAmplifySession(first.auth, s.storage).catch(() => {});
    await vi_waitFor(() => first.auth.state === 'signingIn.savingSession');
    first.auth.stop(); // the process dies here
    die();
    expect(s.keys()).toEqual(Object.keys(amplifyKeys()).sort());
    expect(first.calls).toHaveLength(0); // adopted tokens are the app's: not revoked by stop()
    hang = false;
    const { auth } = signedOut(() => ({}), { storage: authStorage });
    expect(await adoptAmplifySession(auth, s.storage)).toMatchObject({ adopted: true, alreadyAdopted: false });
    expect(s.keys()).toEqual([...DEVICE].sort());
    expect(auth.getTokens()).toEqual(accountTokens);
  });

  it("authchart's write fails: StorageFailure, Amplify's keys whole and their token not revoked (it is the app's, row 25)", async () => {
    const authStorage = memoryStorage();
    authStorage.setItem = () => {
      throw new Error('QuotaExceededError');
    };
    const { auth, calls } = signedOut(() => ({ body: {} }), { storage: authStorage });
    const s = store(amplifyKeys());
    const e = await failure(adoptAmplifySession(auth, s.storage));
    expect(isAuthError(e) && e.code).toBe('StorageFailure');
    expect(s.keys()).toEqual(Object.keys(amplifyKeys()).sort());
    await vi_waitFor(() => auth.state === 'signedOut');
    // The chart clears what the failed save may have left, and revokes nothing: Amplify's keys
    // still hold a live session, and a rerun adopts it.
    expect(calls).toEqual([]);
  });

  it('removal failing: adopted all the same, the answer names the keys left; a rerun removes them', async () => {
    let fail = true;
    const s = store(amplifyKeys(), {
      onRemove: (k) => {
        if (fail && k === key('refreshToken')) throw new Error(`cannot remove ${accountTokens.refreshToken}`);
      },
    });
    const { auth } = signedOut(() => ({}));
    const answer = await adoptAmplifySession(auth, s.storage);
    expect(answer).toMatchObject({ adopted: true, alreadyAdopted: false, removedKeys: ORDER.slice(0, 4) });
    expect(answer.leftKeys).toEqual(ORDER.slice(4));
    expect(isAuthError(answer.removeError) && answer.removeError.code).toBe('StorageFailure');
    expect(texts(answer.removeError)).not.toContain(accountTokens.refreshToken);
    expect(auth.getTokens()).toEqual(accountTokens);
    fail = false;
    const again = await adoptAmplifySession(auth, s.storage);
    expect(again).toMatchObject({ adopted: true, alreadyAdopted: true, removedKeys: ORDER.slice(4), leftKeys: [] });
    expect(s.keys()).toEqual([...DEVICE].sort());
  });

  it('two contexts adopting at once: one session, the same refresh token, nothing revoked', async () => {
    const shared = memoryStorage();
    const sync = memorySyncBus();
    const a = signedOut(() => ({ body: {} }), { storage: shared, sync: sync.connect });
    const b = signedOut(() => ({ body: {} }), { storage: shared, sync: sync.connect });
    const s = store(amplifyKeys(), { async: true });
    const answers = await Promise.all([adoptAmplifySession(a.auth, s.storage), adoptAmplifySession(b.auth, s.storage)]);
    expect(answers.map((x) => x.adopted)).toEqual([true, true]);
    // One of them wrote the record; the other followed it before its own write, and says so.
    expect(answers.filter((x) => x.adopted && x.alreadyAdopted)).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 50));
    expect(a.auth.getTokens()).toEqual(accountTokens);
    expect(b.auth.getTokens()).toEqual(accountTokens);
    expect(shared.keys()).toEqual([SESSION]);
    expect([...a.calls, ...b.calls]).toHaveLength(0); // the same token twice is not "another session": no RevokeToken
    expect(s.keys()).toEqual([...DEVICE].sort());
  });

  // A crash after k removals (0: between the adoption and the first removal): the process dies
  // (its removal hangs forever), a new one starts on the same storage and calls again.
  for (let k = 0; k < ORDER.length; k++) {
    it(`a crash after ${k} removal(s): the rerun adopts nothing twice, keeps the one session, finishes`, async () => {
      const authStorage = memoryStorage();
      let done = 0;
      const s = store(amplifyKeys(), {
        onRemove: () => (done++ >= k ? new Promise(() => {}) : undefined),
      });
      const first = signedOut(() => ({}), { storage: authStorage }).auth;
      void adoptAmplifySession(first, s.storage);
      await vi_waitFor(() => done > k);
      const record = authStorage.getItem(SESSION);
      expect(record).toBeTruthy();
      first.stop();

      const s2 = { ...s.storage, removeItem: (key: string) => void s.map.delete(key) };
      const { auth } = signedOut(() => ({}), { storage: authStorage });
      const answer = await adoptAmplifySession(auth, s2);
      expect(answer).toMatchObject(
        k < 5 ? { adopted: true, alreadyAdopted: true } : { adopted: false, reason: 'none' },
      );
      expect(answer.removedKeys).toEqual(ORDER.slice(k));
      expect(s.keys()).toEqual([...DEVICE].sort());
      // One session: the record the first call wrote, untouched (same id), and its tokens.
      expect(authStorage.getItem(SESSION)).toBe(record);
      expect(auth.getTokens()).toEqual(accountTokens);
    });
  }
});

async function vi_waitFor(ok: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !ok(); i++) await new Promise((r) => setTimeout(r, 2));
  expect(ok()).toBe(true);
}
