/**
 * Hostile thrown values through the public API: getters that throw, codes that are secrets, a
 * token endpoint that echoes what it was sent. Nothing the app can reach may hold a secret.
 */
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { setUpTOTP, signUp, updateUserAttributes } from '../src/account/index.js';
import { AuthError, createAuth, isAuthError } from '../src/index.js';
import { formsOf } from '../src/session/secret-forms.js';
import { accountAuth } from './helpers/account.js';
import { fakeServices, faultyStorage } from './helpers/fakes.js';
import { makeTokens } from './helpers/tokens.js';
import { fakeHostedUI } from './hosted-ui/fake-hosted-ui.js';

const CREDS = { username: 'alice@example.com', password: 'correct horse battery' };

/** Everything a log line could show of a value (an inspection event holds functions: no clone of it). */
function shown(value: unknown): string {
  let cloned = '';
  try {
    cloned = inspect(structuredClone(value), { depth: 10 });
  } catch {}
  return [inspect(value, { depth: 10, showHidden: true }), JSON.stringify(value), String(value), cloned].join('\n');
}

/** What an inspector shows of an event it is sent (errors travel in events; snapshots hold the actor graph). */
function inspected(e: { type: string; event?: unknown }): unknown {
  return e.type === '@xstate.event' ? e.event : undefined;
}

/** What an inspector shows of the events (without hidden properties: those of the chart's inputs are huge). */
function shownEvents(events: unknown[]): string {
  return events.map((e) => `${inspect(e, { depth: 10 })}\n${JSON.stringify(e)}`).join('\n');
}

/** An AuthError (so the scrubber takes its AuthError path) whose `code` getter throws, quoting `secret`. */
function throwingCode(secret: string): AuthError {
  const error = new AuthError('Service', 'refused');
  Object.defineProperty(error, 'code', {
    get() {
      throw new Error(`boom ${secret}`);
    },
  });
  return error;
}

/** A ready instance on `services` whose inspection events (as shown) go to `events`. */
async function watched(services: ReturnType<typeof fakeServices>, events: unknown[]) {
  const auth = createAuth({
    services,
    storage: faultyStorage(),
    sync: null,
    inspect: (e) => void events.push(inspected(e)),
  });
  await auth.ready;
  return auth;
}

/** A signed-in instance whose refresh token is opaque (only exact-value scrubbing can find it). */
async function signedIn(events: unknown[]) {
  const tokens = { ...makeTokens(), refreshToken: 'opaque-refresh-token-0123456789' };
  const services = fakeServices(tokens);
  const auth = await watched(services, events);
  await auth.signIn(CREDS);
  return { auth, services, refreshToken: tokens.refreshToken };
}

describe('a sign-in whose service throws a hostile error', () => {
  it('a throwing `code` getter cannot make the scrubber throw, and the password is nowhere', async () => {
    const events: unknown[] = [];
    const services = fakeServices();
    services.script.signIn = { error: throwingCode(CREDS.password) };
    const auth = await watched(services, events);
    const error = await auth.signIn(CREDS).catch((e: unknown) => e);
    expect(isAuthError(error, 'Service')).toBe(true);
    expect((error as AuthError).message).toBe('refused');
    expect(shown(error)).not.toContain(CREDS.password);
    expect(shownEvents(events)).not.toContain(CREDS.password);
    auth.stop();
  });

  it('the password quoted in encoded forms, and as `user:password`, is scrubbed', async () => {
    const services = fakeServices();
    const pair = `${CREDS.username}:${CREDS.password}`;
    const quoted = [
      new URLSearchParams({ password: CREDS.password }).toString(),
      CREDS.password.replaceAll(' ', '&#32;'),
      JSON.stringify(JSON.stringify(CREDS.password)),
      `Basic ${Buffer.from(pair).toString('base64')}`,
      Buffer.from(CREDS.password).toString('base64url'),
    ];
    services.script.signIn = { error: new Error(`refused ${quoted.join(' | ')}`) };
    const auth = createAuth({ services, storage: faultyStorage(), sync: null });
    await auth.ready;
    const error = await auth.signIn(CREDS).catch((e: unknown) => e);
    for (const form of quoted) expect(shown(error)).not.toContain(form);
    auth.stop();
  });

  it('a password split across the error’s name and message is scrubbed once they are joined', async () => {
    const password = 'hunter22: apples';
    const services = fakeServices();
    services.script.signIn = { error: Object.assign(new Error('apples'), { name: 'hunter22' }) };
    const auth = createAuth({ services, storage: faultyStorage(), sync: null });
    await auth.ready;
    const error = await auth.signIn({ username: 'alice', password }).catch((e: unknown) => e);
    expect(inspect(error, { depth: 10, showHidden: true })).not.toContain(password);
    auth.stop();
  });

  it('a value too long for any bounded message is searched as is, not encoded (a hostile 330 KB token)', () => {
    const huge = 'A'.repeat(330_000);
    expect(formsOf(huge)).toEqual([huge]);
    expect(formsOf('opaque-refresh-token-0123456789').length).toBeGreaterThan(5);
  });
});

describe('a RevokeToken that throws an error holding the refresh token', () => {
  const hostile: [string, (rt: string) => unknown][] = [
    ['a plain Error quoting it base64-encoded', (rt) => new Error(`refused ${Buffer.from(rt).toString('base64')}`)],
    [
      'an Error whose `code` getter throws, quoting it split by a line break',
      (rt) =>
        Object.defineProperty(new Error(`refused ${rt.slice(0, 9)}\r\n${rt.slice(9)}`), 'code', {
          get() {
            throw new Error(`boom ${rt}`);
          },
        }),
    ],
    ['an AuthError whose `code` getter throws', (rt) => throwingCode(rt)],
    ['an AuthError whose code is the token', (rt) => new AuthError(rt as never, 'refused')],
    [
      'an Error whose code and name are the token, its dashes percent-encoded',
      (rt) =>
        Object.assign(new Error('refused'), { code: encodeURIComponent(rt).replaceAll('-', '%2D'), name: `${rt}` }),
    ],
  ];
  for (const [label, make] of hostile) {
    it(`${label}: the sign-out result, its inspection and its JSON hold no token`, async () => {
      const events: unknown[] = [];
      const { auth, services, refreshToken } = await signedIn(events);
      services.script.revokeToken = { error: make(refreshToken) };
      const result = await auth.signOut();
      expect(result.status).not.toBe('failed');
      // The token as is, its tail (what a line break leaves whole), base64 and percent-encoded.
      const forms = [
        refreshToken,
        refreshToken.slice(9),
        Buffer.from(refreshToken).toString('base64'),
        encodeURIComponent(refreshToken).replaceAll('-', '%2D'),
      ];
      const everything = `${shown(result)}\n${shownEvents(events)}`;
      for (const form of forms) expect(everything).not.toContain(form);
      auth.stop();
    });
  }
});

describe('a hosted-UI token endpoint whose error echoes the code and the verifier', () => {
  it('neither the authorization code nor the PKCE verifier reaches the rejection', async () => {
    const ui = fakeHostedUI({ leavesPage: false });
    const echoed: string[] = [];
    ui.openUrl = async (url) => ui.login(url);
    ui.exchangeCode = async (url, transaction) => {
      const code = new URL(url).searchParams.get('code') ?? '';
      echoed.push(code, transaction.codeVerifier);
      const body = new URLSearchParams({ code, code_verifier: transaction.codeVerifier }).toString();
      throw new AuthError('NotAuthorized', `invalid_grant for ${body}`, {
        serviceName: 'invalid_grant',
        cause: new Error(`{"code":"${code}","code_verifier":"${transaction.codeVerifier}"}`),
      });
    };
    const events: unknown[] = [];
    const auth = createAuth({
      services: fakeServices(),
      storage: faultyStorage(),
      sync: null,
      hostedUI: ui,
      inspect: (e) => void events.push(inspected(e)),
    });
    await auth.ready;
    const error = await auth.signInWithRedirect().catch((e: unknown) => e);
    expect(isAuthError(error, 'NotAuthorized')).toBe(true);
    expect(echoed).toHaveLength(2);
    for (const secret of echoed) {
      expect(shown(error)).not.toContain(secret);
      expect(shownEvents(events)).not.toContain(secret);
    }
    auth.stop();
  });
});

describe('an account call whose transport answers an object that throws when read', () => {
  it('signUp: delivery details whose getter throws an Error quoting the password reject with a scrubbed Service error', async () => {
    const events: unknown[] = [];
    const services = fakeServices();
    const password = 'S3cret-Passw0rd!';
    services.script.cognitoCall = () => ({
      ok: Object.defineProperty({ UserConfirmed: false }, 'CodeDeliveryDetails', {
        enumerable: true,
        get: () => {
          throw new Error(`no delivery for ${password}`);
        },
      }),
    });
    const { auth } = accountAuth(() => ({}), { services, inspect: (e) => void events.push(inspected(e)) });
    const error = await signUp(auth, { username: 'ana@example.com', password }).catch((e: unknown) => e);
    expect(isAuthError(error, 'Service')).toBe(true);
    expect(shown(error)).not.toContain(password);
    expect(shownEvents(events)).not.toContain(password);
    auth.stop();
  });

  it('updateUserAttributes: a list item whose every read throws a string quoting the TOTP secret and the access token', async () => {
    const tokens = makeTokens();
    const services = fakeServices(tokens);
    const totp = 'JBSWY3DPEHPK3PXPJBSWY3DP';
    services.script.cognitoCall = ({ operation }) =>
      operation === 'AssociateSoftwareToken'
        ? { ok: { SecretCode: totp } }
        : {
            ok: {
              CodeDeliveryDetailsList: [
                new Proxy(
                  {},
                  {
                    get: () => {
                      throw `unreadable ${totp} for ${tokens.accessToken}`;
                    },
                  },
                ),
              ],
            },
          };
    const { auth } = accountAuth(() => ({}), { services });
    await auth.signIn(CREDS);
    await setUpTOTP(auth);
    const error = await updateUserAttributes(auth, { userAttributes: { name: 'Ana' } }).catch((e: unknown) => e);
    expect(isAuthError(error, 'Service')).toBe(true);
    for (const secret of [totp, tokens.accessToken]) expect(shown(error)).not.toContain(secret);
    auth.stop();
  });
});
