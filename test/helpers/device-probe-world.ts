/**
 * The probes' world: `authchart/cognito` with `devices: rememberedDevices({ storage })` against
 * {@link deviceEndpoint} (real SRP for the password and the device), with what the probes need on
 * top: a device storage whose every call can throw, hang or answer garbage; USER_AUTH's password
 * factors (PASSWORD_SRP, PASSWORD) translated onto the endpoint's SRP and password flows (Cognito
 * runs the same device step after them); and a ledger of every refresh token Cognito issued, so a
 * probe can tell whether one was lost (neither held, revoked, nor reported).
 */
import { afterEach, expect } from 'vitest';
import { cognitoServices } from '../../src/adapters/cognito/index.js';
import { rememberedDevices } from '../../src/adapters/devices.js';
import { type Auth, type AuthTimeouts, createAuth, memoryStorage, type TokenStorage } from '../../src/index.js';
import { type DeviceUser, deviceEndpoint } from './device-endpoint.js';
import { fakeFetch } from './fake-cognito-fetch.js';

export const CLIENT_ID = 'client-probe';
export const POOL = 'eu-west-1_ProbePool1';
export const ALICE: DeviceUser = {
  userId: 'uuid-alice',
  email: 'alice@example.com',
  password: 'Correct-Horse-9',
  totpCode: '246810',
};

let auths: Auth[] = [];
afterEach(() => {
  for (const auth of auths) auth.stop();
  auths = [];
});

/**
 * What one storage call does: pass through, throw (synchronously, as `localStorage` does), reject
 * (asynchronously), hang for ever, or answer `value` (getItem).
 */
export type Fault = 'pass' | 'throw' | 'reject' | 'hang' | { value: unknown };
export interface Faults {
  get: Fault;
  set: Fault;
  remove: Fault;
}

/** A storage over `base` whose calls obey `faults` (changed by the test at any time). */
export function faultyStorage(base: TokenStorage = memoryStorage()) {
  const faults: Faults = { get: 'pass', set: 'pass', remove: 'pass' };
  const seen: string[] = [];
  const hang = () => new Promise<never>(() => {});
  // The thrown error quotes the value it was given, as some storages do (the device password is in it).
  const act = (fault: Fault, what: string, run: () => unknown) => {
    seen.push(what);
    if (fault === 'throw') throw new Error(`storage refused ${what}`);
    if (fault === 'reject') return Promise.reject(new Error(`storage refused ${what}`));
    if (fault === 'hang') return hang();
    if (typeof fault === 'object') return fault.value;
    return run();
  };
  const storage: TokenStorage = {
    getItem: (key) => act(faults.get, `get ${key}`, () => base.getItem(key)) as string | null,
    setItem: (key, value) => act(faults.set, `set ${key}=${value}`, () => base.setItem(key, value)) as Promise<void>,
    removeItem: (key) => act(faults.remove, `remove ${key}`, () => base.removeItem(key)) as Promise<void>,
  };
  return { storage, faults, base, seen };
}

export interface WorldOptions {
  user?: DeviceUser;
  remember?: 'always' | 'optIn';
  /** The device records' storage (default: the session's). */
  deviceStorage?: TokenStorage;
  /** The session's storage (default: a fresh memoryStorage). */
  storage?: TokenStorage;
  timeouts?: AuthTimeouts;
  /** An existing endpoint (two instances, one pool). */
  endpoint?: ReturnType<typeof deviceEndpoint>;
  authFlow?: 'USER_SRP_AUTH' | 'USER_PASSWORD_AUTH' | 'USER_AUTH';
}

export function world(opts: WorldOptions = {}) {
  const user = opts.user ?? ALICE;
  const endpoint =
    opts.endpoint ??
    deviceEndpoint({ clientId: CLIENT_ID, userPoolId: POOL, user, remember: opts.remember ?? 'always' });
  /** Every refresh token Cognito issued, and every one revoked. */
  const issued: string[] = [];
  const revoked: string[] = [];
  /** Per operation: replace its answer (`undefined`: the endpoint's), or hang it (until aborted). */
  const override = new Map<string, (body: Record<string, unknown>) => unknown>();
  const f = fakeFetch(async (call) => {
    const op = call.target.split('.')[1] ?? '';
    let body = call.body;
    // USER_AUTH's password factors onto the endpoint's flows (the device step after them is the same).
    if (op === 'InitiateAuth' && body['AuthFlow'] === 'USER_AUTH') {
      const p = body['AuthParameters'] as Record<string, string>;
      const flow = p['PREFERRED_CHALLENGE'] === 'PASSWORD' ? 'USER_PASSWORD_AUTH' : 'USER_SRP_AUTH';
      body = { ...body, AuthFlow: flow };
    }
    if (op === 'RevokeToken') revoked.push(String(body['Token']));
    const custom = override.get(op);
    const answer = custom ? await custom(body) : undefined;
    if (answer !== undefined) return answer as { status: number; body: unknown };
    const out = await endpoint.handle(op, body);
    const refresh = (out.body as { AuthenticationResult?: { RefreshToken?: string } })?.AuthenticationResult
      ?.RefreshToken;
    if (refresh) issued.push(refresh);
    return out;
  });
  /** Operations whose request never answers: rejected only when its signal aborts. */
  const hanging = new Set<string>();
  const gates = new Map<string, Promise<void>>();
  /** Per operation: a raw 200 body (not JSON, say) answered instead of the endpoint's. */
  const raw = new Map<string, string>();
  /** Every request as it left the client (`Operation:ChallengeName`), gated or hanging ones included. */
  const arrived: string[] = [];
  /** Every hanging request whose signal aborted (`Operation:ChallengeName`), in order. */
  const aborted: string[] = [];
  const fetch: typeof globalThis.fetch = async (url, init) => {
    const op = (new Headers(init?.headers).get('x-amz-target') ?? '').split('.')[1] ?? '';
    const body = JSON.parse(String(init?.body)) as Record<string, unknown>;
    const key = `${op}:${String(body['ChallengeName'] ?? '')}`;
    arrived.push(key);
    const text = raw.get(op);
    if (text !== undefined)
      return new Response(text, { status: 200, headers: { 'content-type': 'application/x-amz-json-1.1' } });
    const gate = gates.get(key) ?? gates.get(op);
    if (gate) await gate;
    if (hanging.has(key) || hanging.has(op)) {
      return new Promise((_, reject) => {
        init?.signal?.addEventListener('abort', () => {
          aborted.push(key);
          reject(init.signal?.reason);
        });
      });
    }
    return f.fetch(url, init);
  };
  const storage = opts.storage ?? memoryStorage();
  const deviceStorage = opts.deviceStorage ?? storage;
  const observed: unknown[] = [];
  const make = () => {
    const auth = createAuth({
      services: cognitoServices({
        clientId: CLIENT_ID,
        region: 'eu-west-1',
        userPoolId: POOL,
        fetch,
        retryDelayMs: 5,
        ...(opts.authFlow ? { authFlow: opts.authFlow } : {}),
        devices: rememberedDevices({ storage: deviceStorage, name: 'Probe browser' }),
      }),
      storage,
      sync: null,
      ...(opts.timeouts ? { timeouts: opts.timeouts } : {}),
      inspect: (e) => {
        if (e.type === '@xstate.event') observed.push((e as { event: unknown }).event);
      },
    });
    for (const name of ['signedIn', 'signedOut', 'tokensRefreshed', 'tokenRefreshFailed', 'signInFailed'] as const) {
      auth.on(name, (payload) => observed.push(payload));
    }
    auths.push(auth);
    return auth;
  };
  const auth = make();
  const keyOf = (username: string) => `authchart.${CLIENT_ID}.device.${username}`;
  const calls = () =>
    endpoint.calls.map((c) => `${c.target}${c.body['ChallengeName'] ? `:${c.body['ChallengeName']}` : ''}`);
  /** Signs in with the password; answers MFA if asked. Says whether MFA was asked. */
  const signIn = async (a = auth, username = user.email, extra: { authFlow?: 'USER_AUTH' } = {}) => {
    const first = await a.signIn({ username, password: user.password, ...extra });
    if (first.status === 'signedIn') return { mfa: false };
    expect(first).toMatchObject({ status: 'challenge', challenge: 'totpCode' });
    expect(await a.confirmSignIn(user.totpCode)).toEqual({ status: 'signedIn' });
    return { mfa: true };
  };
  /**
   * Refresh tokens Cognito issued that are neither in a storage nor revoked, nor ended by a
   * GlobalSignOut: alive at Cognito, held by nobody.
   */
  const orphans = (...storages: TokenStorage[]) => {
    const held = [storage, ...storages]
      .map((s) => (s as ReturnType<typeof memoryStorage>).keys().map((k) => String(s.getItem(k))))
      .join('\n');
    if (endpoint.calls.some((c) => c.target === 'GlobalSignOut')) return [];
    return issued.filter((t) => !revoked.includes(t) && !held.includes(t));
  };
  return {
    user,
    endpoint,
    auth,
    make,
    arrived,
    aborted,
    raw,
    storage,
    keyOf,
    calls,
    signIn,
    observed,
    orphans,
    hanging,
    gates,
    override,
    issued,
  };
}
export type World = ReturnType<typeof world>;

/** Everything an app could observe, as one string (events, inspection, snapshot, errors). */
export function seen(w: World, ...more: unknown[]): string {
  const text = (x: unknown): string =>
    x instanceof Error
      ? `${x.name} ${x.message} ${x.stack} ${JSON.stringify(x)} ${text((x as { cause?: unknown }).cause)}`
      : JSON.stringify(x);
  return [w.observed, w.auth.getSnapshot(), ...more].map(text).join('\n');
}

/** A promise's outcome within `ms`: resolved, rejected, or 'pending'. */
export async function within<T>(p: Promise<T>, ms: number): Promise<{ ok: T } | { error: unknown } | 'pending'> {
  return Promise.race([
    p.then(
      (ok) => ({ ok }),
      (error: unknown) => ({ error }),
    ),
    new Promise<'pending'>((r) => setTimeout(() => r('pending'), ms)),
  ]);
}
