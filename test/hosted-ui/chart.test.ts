/**
 * The hosted UI through the public API: `createAuth({ hostedUI })`, `signInWithRedirect`,
 * `handleRedirect` and the sign-out of a `hostedUI` session, with a fake hosted UI whose OAuth
 * checks are the real adapter's (test/hosted-ui/fake-hosted-ui.ts).
 */
import { describe, expect, it } from 'vitest';
import {
  type AuthError,
  type AuthStateValue,
  createAuth,
  isAuthError,
  manualConnectivity,
  type TokenStorage,
} from '../../src/index.js';
import { fakeServices, faultyStorage, ownKeys } from '../helpers/fakes.js';
import { type FakeHostedUI, fakeHostedUI } from './fake-hosted-ui.js';

const TX_KEY = 'authchart.client123.redirectTransaction';
const UNRELATED = { 'app.theme': 'dark' };

type Store = ReturnType<typeof faultyStorage>;

/** Storage that logs every removal into the hosted UI's log, so the order of events is one list. */
function loggedStorage(inner: Store, log: string[]): TokenStorage {
  return {
    getItem: (k) => inner.getItem(k),
    setItem: (k, v) => inner.setItem(k, v),
    removeItem(k) {
      log.push(`remove ${k.replace('authchart.client123.', '')}`);
      inner.removeItem(k);
    },
  };
}

function setup(opts: { leavesPage: boolean; storage?: Store; ui?: FakeHostedUI; slowRead?: boolean }) {
  const ui = opts.ui ?? fakeHostedUI({ leavesPage: opts.leavesPage });
  const services = fakeServices();
  services.script.revokeToken = async () => void ui.log.push('revokeToken');
  services.script.globalSignOut = async () => void ui.log.push('globalSignOut');
  const store = opts.storage ?? faultyStorage(UNRELATED);
  const logged = loggedStorage(store, ui.log);
  // A storage that answers reads late keeps the instance restoring for a while.
  const storage: TokenStorage = opts.slowRead
    ? { ...logged, getItem: (k) => new Promise((r) => setTimeout(() => r(logged.getItem(k) as string | null), 30)) }
    : logged;
  const connectivity = manualConnectivity(true);
  const auth = createAuth({ services, storage, connectivity, hostedUI: ui, sync: null });
  const states: AuthStateValue[] = [];
  auth.subscribe((s) => states.push(s));
  return { auth, ui, services, store, connectivity, states };
}

type Setup = ReturnType<typeof setup>;

/** Redirect, "sign in" on the fake hosted UI, come back: a signed-in `hostedUI` session. */
async function signInThroughHostedUI(h: Setup, scope?: string) {
  if (scope !== undefined) h.ui.scope = scope;
  await h.auth.ready;
  expect(await h.auth.signInWithRedirect()).toEqual({ status: 'redirecting' });
  const callback = h.ui.login(h.ui.opened.at(-1)!.url);
  expect(await h.auth.handleRedirect(callback)).toEqual({ status: 'signedIn' });
  h.ui.log.length = 0;
  return callback;
}

async function rejection(work: Promise<unknown>): Promise<AuthError> {
  const error = await work.then(
    () => new Error('expected a rejection'),
    (e: unknown) => e,
  );
  if (!isAuthError(error)) throw error;
  return error;
}

describe('signInWithRedirect', () => {
  it('stores the transaction, then opens the authorize URL; the page leaves (redirecting)', async () => {
    const h = setup({ leavesPage: true });
    await h.auth.ready;
    let storedWhenOpened: string | null = null;
    h.ui.onCall = () => {
      storedWhenOpened = h.store.getItem(TX_KEY) as string | null;
    };
    const result = await h.auth.signInWithRedirect({ provider: 'Google' });
    expect(result).toEqual({ status: 'redirecting' });
    expect(h.ui.log).toEqual(['createAuthorization', 'openUrl signIn']);
    const url = new URL(h.ui.opened[0]!.url);
    expect(url.searchParams.get('identity_provider')).toBe('Google');
    // What was in storage at the moment the URL was opened: the transaction of this very URL.
    const stored = JSON.parse(storedWhenOpened ?? 'null');
    expect(stored).toMatchObject({ state: url.searchParams.get('state'), nonce: url.searchParams.get('nonce') });
    expect(stored.codeVerifier).toMatch(/^[\w-]{43}$/);
    expect(h.states).toContain('signingIn.redirecting');
    expect(h.auth.state).toBe('signedOut');
    expect(ownKeys(h.store)).toEqual([TX_KEY]);
  });

  it('an opener that returns the callback URL signs in at once', async () => {
    const h = setup({ leavesPage: false });
    await h.auth.ready;
    h.ui.onCall = () => {
      h.ui.script.openUrl = { ok: h.ui.login(h.ui.opened.at(-1)!.url) };
    };
    expect(await h.auth.signInWithRedirect()).toEqual({ status: 'signedIn' });
    // The transaction is taken (removed) before the code goes out: a code is exchanged once.
    expect(h.ui.log).toEqual([
      'createAuthorization',
      'openUrl signIn',
      'remove redirectTransaction',
      'exchangeCode',
      'fetch /oauth2/token',
    ]);
    expect(h.states).toEqual(
      expect.arrayContaining(['signingIn.redirecting', 'signingIn.exchangingCode', 'signedIn.waitingToRefresh']),
    );
    expect(h.auth.getSession()).toMatchObject({ username: 'alice', signedInWith: 'hostedUI' });
    expect(h.auth.getTokens()).toEqual(h.ui.issued[0]);
    expect(h.store.getItem(TX_KEY)).toBeNull();
  });

  it('a failing or cancelled opener rejects with its error and signs nobody in', async () => {
    const h = setup({ leavesPage: false });
    await h.auth.ready;
    h.ui.script.openUrl = { error: new Error('in-app browser crashed') };
    expect((await rejection(h.auth.signInWithRedirect())).code).toBe('Service');
    const { AuthError } = await import('../../src/index.js');
    h.ui.script.openUrl = { error: new AuthError('Cancelled', 'the user closed the browser') };
    expect((await rejection(h.auth.signInWithRedirect())).code).toBe('Cancelled');
    expect(h.auth.state).toBe('signedOut');
    expect(h.auth.getSession()).toBeNull();
  });

  it('a rejected opener leaves no transaction in storage', async () => {
    const h = setup({ leavesPage: false });
    await h.auth.ready;
    h.ui.script.openUrl = { error: new Error('in-app browser crashed') };
    await rejection(h.auth.signInWithRedirect());
    expect(h.store.getItem(TX_KEY)).toBeNull();
  });
});

describe('handleRedirect', () => {
  /** A first page redirects; the page that comes back is a new instance on the same storage. */
  async function comeBack(opts: { customState?: string; slowRead?: boolean } = {}) {
    const first = setup({ leavesPage: true });
    await first.auth.ready;
    await first.auth.signInWithRedirect(opts.customState === undefined ? {} : { customState: opts.customState });
    const authorizeUrl = first.ui.opened[0]!.url;
    first.auth.stop();
    const back = setup({
      leavesPage: true,
      storage: first.store,
      ui: first.ui,
      ...(opts.slowRead ? { slowRead: true } : {}),
    });
    return { back, authorizeUrl, callback: first.ui.login(authorizeUrl) };
  }

  it('before ready: exchanges the code and saves a hostedUI session', async () => {
    const { back, callback } = await comeBack({ slowRead: true });
    expect(back.auth.state).toMatch(/^restoring/);
    const result = await back.auth.handleRedirect(callback);
    expect(result).toEqual({ status: 'signedIn' });
    expect(back.states).toContain('signingIn.exchangingCode');
    expect(back.auth.getSession()).toMatchObject({ signedInWith: 'hostedUI', username: 'alice' });
    expect(back.store.getItem(TX_KEY)).toBeNull();
    expect(JSON.parse(String(back.store.getItem('authchart.client123.session')))).toMatchObject({
      signedInWith: 'hostedUI',
    });
  });

  it('hands the customState back, which never went to the hosted UI', async () => {
    const { back, callback, authorizeUrl } = await comeBack({ customState: '/orders?tab=2' });
    expect(authorizeUrl).not.toContain('orders');
    expect(await back.auth.handleRedirect(callback)).toEqual({ status: 'signedIn', customState: '/orders?tab=2' });
  });

  const refusals: Array<[string, (callback: string) => string, string, string | undefined]> = [
    ['a tampered state', (c) => c.replace(/state=[^&]+/, 'state=forged'), 'StateMismatch', undefined],
    [
      'the user’s cancel (error=access_denied)',
      (c) => `${c.split('?')[0]}?error=access_denied&state=${new URL(c).searchParams.get('state')}`,
      'Cancelled',
      'access_denied',
    ],
    [
      'another error parameter',
      (c) => `${c.split('?')[0]}?error=invalid_scope&state=${new URL(c).searchParams.get('state')}`,
      'HostedUIError',
      'invalid_scope',
    ],
  ];
  for (const [name, tamper, code, serviceName] of refusals) {
    it(`${name}: ${code}, nothing of ours stored, the transaction gone, no code exchanged`, async () => {
      const { back, callback } = await comeBack();
      const error = await rejection(back.auth.handleRedirect(tamper(callback)));
      expect(error.code).toBe(code);
      expect(error.serviceName).toBe(serviceName);
      expect(back.auth.state).toBe('signedOut');
      expect(ownKeys(back.store)).toEqual([]);
      expect(back.store.dump()).toEqual(UNRELATED);
      expect(back.ui.log).not.toContain('fetch /oauth2/token');
      // The genuine callback cannot be used after that: its transaction was taken.
      expect((await rejection(back.auth.handleRedirect(callback))).code).toBe('StateMismatch');
      expect(back.auth.getSession()).toBeNull();
    });
  }

  it('a second call with the same URL is refused (the transaction is taken once)', async () => {
    const { back, callback } = await comeBack();
    await back.auth.handleRedirect(callback);
    await back.auth.signOut();
    const error = await rejection(back.auth.handleRedirect(callback));
    expect(error.code).toBe('StateMismatch');
    expect(error.message).not.toContain(new URL(callback).searchParams.get('code'));
    expect(ownKeys(back.store)).toEqual([]);
  });

  it('a used code replayed into a new sign-in is refused by the token endpoint (NotAuthorized)', async () => {
    const { back, callback } = await comeBack();
    await back.auth.handleRedirect(callback);
    await back.auth.signOut();
    await back.auth.signInWithRedirect();
    const state = new URL(back.ui.opened.at(-1)!.url).searchParams.get('state')!;
    const replay = callback.replace(/state=[^&]+/, `state=${state}`);
    const error = await rejection(back.auth.handleRedirect(replay));
    expect(error).toMatchObject({ code: 'NotAuthorized', serviceName: 'invalid_grant' });
    expect(ownKeys(back.store)).toEqual([]);
    expect(back.auth.getSession()).toBeNull();
  });
});

describe('signing out of a hostedUI session', () => {
  it('leavesPage: RevokeToken and the clear run first, /logout is called last; hostedUISignOut done', async () => {
    const h = setup({ leavesPage: true });
    await signInThroughHostedUI(h);
    let keysAtLogout: string[] = [];
    h.ui.onCall = () => {
      keysAtLogout = ownKeys(h.store);
    };
    const result = await h.auth.signOut();
    expect(result).toEqual({
      status: 'complete',
      signedOutLocally: true,
      scope: 'local',
      steps: { hostedUISignOut: 'done', globalSignOut: 'notRun', revokeToken: 'done', clearCache: 'done' },
    });
    const logout = h.ui.log.indexOf('signOut');
    expect(h.ui.log.indexOf('revokeToken')).toBeLessThan(logout);
    const removals = h.ui.log.flatMap((e, i) => (e.startsWith('remove ') ? [i] : []));
    expect(removals.length).toBeGreaterThan(0);
    expect(Math.max(...removals)).toBeLessThan(logout);
    expect(h.ui.log.filter((e) => e === 'signOut')).toHaveLength(1);
    expect(keysAtLogout).toEqual([]);
    expect(h.store.dump()).toEqual(UNRELATED);
  });

  it('an injected opener (leavesPage false): /logout first, then RevokeToken and the clear', async () => {
    const h = setup({ leavesPage: false });
    await signInThroughHostedUI(h);
    let keysAtLogout: string[] = [];
    h.ui.onCall = () => {
      keysAtLogout = ownKeys(h.store);
    };
    const result = await h.auth.signOut();
    expect(result).toMatchObject({ status: 'complete', steps: { hostedUISignOut: 'done', revokeToken: 'done' } });
    expect(h.ui.log[0]).toBe('signOut');
    expect(h.ui.log.indexOf('revokeToken')).toBeGreaterThan(0);
    expect(keysAtLogout.length).toBeGreaterThan(0);
    expect(ownKeys(h.store)).toEqual([]);
  });

  for (const leavesPage of [true, false]) {
    it(`offline (leavesPage ${leavesPage}): /logout skipped, partial with Offline, cleared`, async () => {
      const h = setup({ leavesPage });
      await signInThroughHostedUI(h);
      h.connectivity.set(false);
      const result = await h.auth.signOut();
      expect(result).toMatchObject({
        status: 'partial',
        steps: { hostedUISignOut: 'skipped', revokeToken: 'skipped', clearCache: 'done' },
        hostedUISignOutError: { code: 'Offline' },
        revokeTokenError: { code: 'Offline' },
      });
      expect(h.ui.log).not.toContain('signOut');
      expect(h.ui.log).not.toContain('revokeToken');
      expect(ownKeys(h.store)).toEqual([]);
      expect(h.auth.state).toBe('signedOut');
    });
  }

  it('a failing /logout (injected opener): partial with its error, the local sign-out goes on', async () => {
    const h = setup({ leavesPage: false });
    await signInThroughHostedUI(h);
    h.ui.script.signOut = { error: new Error('custom tab could not open') };
    const result = await h.auth.signOut();
    expect(result).toMatchObject({
      status: 'partial',
      signedOutLocally: true,
      steps: { hostedUISignOut: 'failed', revokeToken: 'done', clearCache: 'done' },
      hostedUISignOutError: { code: 'Service' },
    });
    expect(ownKeys(h.store)).toEqual([]);
  });

  it('the user’s cancel: failed (Cancelled), still signed in, nothing revoked or removed', async () => {
    const h = setup({ leavesPage: false });
    await signInThroughHostedUI(h);
    const before = h.store.dump();
    const { AuthError } = await import('../../src/index.js');
    h.ui.script.signOut = { error: new AuthError('Cancelled', 'the user closed the browser') };
    const result = await h.auth.signOut();
    expect(result).toMatchObject({
      status: 'failed',
      signedOutLocally: false,
      error: { code: 'Cancelled' },
      steps: { hostedUISignOut: 'failed', revokeToken: 'notRun', clearCache: 'notRun' },
    });
    expect(h.auth.state).toBe('signedIn.waitingToRefresh');
    expect(h.ui.log).toEqual(['signOut']);
    expect(h.store.dump()).toEqual(before);
  });
});

describe('global sign-out of a web session', () => {
  it('without aws.cognito.signin.user.admin: GlobalSignOut skipped up front (GlobalSignOutUnsupported), revoked', async () => {
    const h = setup({ leavesPage: true });
    await signInThroughHostedUI(h, 'openid email');
    expect(h.auth.getSession()?.adminScope).toBe(false);
    const result = await h.auth.signOut({ global: true });
    expect(result).toMatchObject({
      status: 'partial',
      scope: 'global',
      steps: { hostedUISignOut: 'done', globalSignOut: 'skipped', revokeToken: 'done', clearCache: 'done' },
      globalSignOutError: { code: 'GlobalSignOutUnsupported' },
    });
    expect(h.services.calls.globalSignOut).toHaveLength(0);
    expect(h.services.calls.revokeToken.map((c) => c.arg)).toEqual([h.ui.issued[0]!.refreshToken]);
    expect(h.ui.log.at(-1)).toBe('signOut');
  });

  it('with the admin scope: GlobalSignOut runs (and makes RevokeToken redundant)', async () => {
    const h = setup({ leavesPage: true });
    await signInThroughHostedUI(h, 'openid email aws.cognito.signin.user.admin');
    const result = await h.auth.signOut({ global: true });
    expect(result).toMatchObject({
      status: 'complete',
      steps: { hostedUISignOut: 'done', globalSignOut: 'done', revokeToken: 'notRun' },
    });
    expect(h.services.calls.globalSignOut.map((c) => c.arg)).toEqual([h.ui.issued[0]!.accessToken]);
  });
});
