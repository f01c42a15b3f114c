/**
 * `authchart/account` over a hostile transport, through its public API: nothing hangs, every answer
 * is a typed AuthError with a code, stop() cancels. Secrets echoed back: secrets-echoed.test.ts;
 * races: auto-sign-in-races.test.ts, delete-user-races.test.ts; Amplify's storage: amplify-hostile-storage.test.ts.
 */
import { describe, expect, it } from 'vitest';
import {
  confirmSignUp,
  fetchUserAttributes,
  resetPassword,
  setUpTOTP,
  signUp,
  updatePassword,
  verifyTOTPSetup,
} from '../../src/account/index.js';
import { type Auth, isAuthError } from '../../src/index.js';
import { failure } from '../helpers/account.js';
import {
  CODE,
  cleanUpAfterEach,
  dump,
  makeInspected as make,
  NEW_PASSWORD,
  PASSWORD,
  INSPECTED_STEP_MS as STEP_MS,
  typed,
  within,
} from '../helpers/account-probe.js';
import { type FakeServices, fakeServices } from '../helpers/fakes.js';

cleanUpAfterEach();

/** Every call, by name; `user` calls need a session first. */
const CALLS: Record<string, { user: boolean; run: (auth: Auth) => Promise<unknown> }> = {
  signUp: { user: false, run: (a) => signUp(a, { username: 'ana@example.com', password: PASSWORD }) },
  confirmSignUp: { user: false, run: (a) => confirmSignUp(a, { username: 'ana', confirmationCode: CODE }) },
  resetPassword: { user: false, run: (a) => resetPassword(a, { username: 'ana' }) },
  updatePassword: { user: true, run: (a) => updatePassword(a, { oldPassword: PASSWORD, newPassword: NEW_PASSWORD }) },
  fetchUserAttributes: { user: true, run: (a) => fetchUserAttributes(a) },
  setUpTOTP: { user: true, run: (a) => setUpTOTP(a) },
  verifyTOTPSetup: { user: true, run: (a) => verifyTOTPSetup(a, { code: CODE }) },
};

async function ready(name: string, fake: FakeServices) {
  const x = make(fake);
  await x.auth.ready;
  if (CALLS[name]!.user) await x.auth.signIn({ username: 'alice@example.com', password: PASSWORD });
  return x;
}

describe('every account call is bounded, stoppable, and answers a typed AuthError', () => {
  const deaf = () => () => new Promise<never>(() => {}); // ignores its abort signal
  const transports: Record<string, (fake: FakeServices) => void> = {
    'hangs (honours abort)': (f) => {
      f.script.cognitoCall = () => 'hang';
    },
    'hangs, ignoring its abort signal': (f) => {
      f.script.cognitoCall = deaf;
    },
    'throws synchronously': (f) => {
      f.cognitoCall = () => {
        throw new TypeError('sync boom');
      };
    },
    'rejects with a string': (f) => {
      f.script.cognitoCall = () => ({ error: 'plain string rejection' });
    },
    'rejects with null': (f) => {
      f.script.cognitoCall = () => ({ error: null });
    },
    'rejects with undefined': (f) => {
      f.script.cognitoCall = () => ({ error: undefined });
    },
    'rejects with an object whose message getter throws': (f) => {
      f.script.cognitoCall = () => ({
        error: Object.defineProperty({}, 'message', {
          get() {
            throw new Error(`getter quoting ${PASSWORD}`);
          },
        }),
      });
    },
  };
  for (const [name, spec] of Object.entries(CALLS)) {
    for (const [how, setUp] of Object.entries(transports)) {
      it(`${name}: a transport that ${how} → a typed AuthError within remoteStepMs`, async () => {
        const fake = fakeServices();
        const { auth } = await ready(name, fake);
        setUp(fake);
        const t0 = Date.now();
        const e = await within(spec.run(auth), STEP_MS * 4);
        expect(typed(e)).toBe('AuthError:true');
        expect(Date.now() - t0).toBeLessThan(STEP_MS * 3);
      });
    }
    it(`${name}: stop() while the transport hangs deaf → Cancelled at once`, async () => {
      const fake = fakeServices();
      const { auth } = await ready(name, fake);
      fake.script.cognitoCall = deaf;
      const p = within(spec.run(auth), STEP_MS / 2);
      await new Promise((r) => setTimeout(r, 5));
      auth.stop();
      const e = await p;
      expect(isAuthError(e) && e.code).toBe('Cancelled');
    });
  }

  /** What each call sends that is a secret: a transport's throw quoting it must be scrubbed. */
  const SENT: Record<string, (auth: Auth) => string> = {
    signUp: () => PASSWORD,
    confirmSignUp: () => CODE,
    updatePassword: () => NEW_PASSWORD,
    verifyTOTPSetup: () => CODE,
    fetchUserAttributes: (a) => a.getTokens()!.accessToken,
    setUpTOTP: (a) => a.getTokens()!.accessToken,
  };
  const garbage: Record<string, (secret: string) => unknown> = {
    null: () => null,
    array: () => [1, 2, 3],
    'a huge string': () => 'x'.repeat(5_000_000),
    'a number': () => 42,
    'an object with a throwing getter': (secret) =>
      Object.defineProperty({}, 'SecretCode', {
        enumerable: true,
        get() {
          throw new Error(`getter quoting ${secret}`);
        },
      }),
    'an object with a throwing toJSON': (secret) => ({
      toJSON() {
        throw new Error(`toJSON quoting ${secret}`);
      },
    }),
    'a cyclic object': () => {
      const o: Record<string, unknown> = {};
      o['self'] = o;
      return o;
    },
    'a BigInt field': () => ({ UserSub: 10n }),
  };
  for (const [name, spec] of Object.entries(CALLS)) {
    for (const [what, answer] of Object.entries(garbage)) {
      it(`${name}: an answer that is ${what} → resolves or rejects with a typed AuthError, no secret quoted`, async () => {
        const fake = fakeServices();
        const { auth } = await ready(name, fake);
        const secret = SENT[name]?.(auth) ?? 'no-secret-sent';
        fake.cognitoCall = async () => answer(secret) as Record<string, unknown>;
        const e = await within(spec.run(auth), STEP_MS * 4);
        expect(e).not.toBe('hung');
        if (e !== 'resolved') {
          expect(typed(e)).toBe('AuthError:true');
          const text = JSON.stringify({ m: (e as Error).message, s: String(e), c: String((e as Error).cause) });
          if (SENT[name]) expect(text).not.toContain(secret);
        }
      });
    }
  }
});

describe('hostile transports beyond the answer', () => {
  it('a secretHash that never answers → SignUp Timeout within remoteStepMs, no request', async () => {
    const fake = fakeServices();
    Object.assign(fake, { secretHash: () => new Promise<never>(() => {}) });
    const { auth } = make(fake);
    const e = await within(signUp(auth, { username: 'ana', password: PASSWORD }), STEP_MS * 4);
    expect(isAuthError(e) && e.code).toBe('Timeout');
    expect(fake.calls.cognitoCall).toHaveLength(0);
  });
  it('an answer that is a thenable whose then getter throws (quoting the password) → typed, scrubbed', async () => {
    const fake = fakeServices();
    const { auth } = make(fake);
    fake.cognitoCall = (() =>
      Object.defineProperty({}, 'then', {
        get() {
          throw new Error(`then quoting ${PASSWORD}`);
        },
      })) as never;
    const e = await within(signUp(auth, { username: 'ana', password: PASSWORD }), STEP_MS * 4);
    expect(typed(e)).toBe('AuthError:true');
    expect(dump(e)).not.toContain(PASSWORD);
  });
  it('an Error whose name is the password (a foreign SDK error) → typed, the name scrubbed', async () => {
    const fake = fakeServices();
    const { auth } = make(fake);
    const err = new Error('refused');
    err.name = PASSWORD;
    fake.script.cognitoCall = () => ({ error: err });
    const e = await failure(signUp(auth, { username: 'ana', password: PASSWORD }));
    expect(isAuthError(e)).toBe(true);
    expect(dump(e)).not.toContain(PASSWORD);
  });
});

describe('hostile sizes and foreign instances', () => {
  it('a transport error with a 5 MB message → a typed AuthError whose message stays bounded (< 64 kB)', async () => {
    const fake = fakeServices();
    const { auth } = make(fake);
    fake.script.cognitoCall = () => ({ error: new Error('x'.repeat(5_000_000)) });
    const e = await failure(signUp(auth, { username: 'ana', password: PASSWORD }));
    expect(isAuthError(e)).toBe(true);
    expect((e as Error).message.length).toBeLessThan(65_536);
  });
  it('an Auth not made by createAuth (a mock) → InvalidConfig, nothing sent', async () => {
    const fake = fakeServices();
    const { auth } = make(fake);
    const mock = { ...auth, actor: { getSnapshot: () => ({ context: { deps: {} } }) } } as unknown as Auth;
    const e = await failure(signUp(mock, { username: 'ana', password: PASSWORD }));
    expect(isAuthError(e) && e.code).toBe('InvalidConfig');
    expect(fake.calls.cognitoCall).toHaveLength(0);
  });
});
