/**
 * Typed fixtures for the events that invoked actors and delays produce. The maps are keyed by the
 * machine's own actor and delay names (read from its type), so adding an actor or a delay to the
 * chart without fixtures here fails to compile.
 */
import type { OutputFrom, StateMachine } from 'xstate';
import { AuthError } from '../../src/errors.js';
import type { AuthMachine } from '../../src/machines/auth.machine.js';
import type { AuthContext, AuthEvent, RestoreOutput } from '../../src/machines/auth.types.js';
import type { ChallengeKind, SignInChallenge, Tokens } from '../../src/services/types.js';
import type { SignOutJournal } from '../../src/session/records.js';
import { seal, unseal } from '../../src/session/sealed.js';
import { type Session, sessionFromTokens } from '../../src/session/session.js';
import { makeTokens } from '../helpers/tokens.js';

// biome-ignore lint/suspicious/noExplicitAny: positional type parameters of StateMachine
type Any = any;
type ProvidedActorOf<M> =
  M extends StateMachine<Any, Any, Any, infer A, Any, Any, Any, Any, Any, Any, Any, Any, Any, Any> ? A : never;
type DelayOf<M> =
  M extends StateMachine<Any, Any, Any, Any, Any, Any, infer D, Any, Any, Any, Any, Any, Any, Any> ? D : never;
type Provided = ProvidedActorOf<AuthMachine>;
export type ActorSrc = Provided['src'];
export type DelayName = DelayOf<AuthMachine>;
type OutputOf<K extends ActorSrc> = OutputFrom<Extract<Provided, { src: K }>['logic']>;

export type Seed =
  | 'valid'
  | 'validOther'
  | 'validHostedUI'
  | 'garbage'
  | 'empty'
  | 'journalLocal'
  | 'journalGlobal'
  | 'journalOnly';

/** Every session the model makes has this id (the replay pins the random source); `validOther` another. */
export const MODEL_SESSION_ID = '00'.repeat(16);
export const OTHER_SESSION_ID = 'ff'.repeat(16);

/** What the replay does to make a real actor produce this outcome. */
export type Arrange =
  | { kind: 'resolve'; tokens?: Tokens; challenge?: SignInChallenge; redirectUrl?: string } // remote call answers (tokens or a challenge, for signIn/refresh/respondToChallenge)
  | { kind: 'reject'; error: AuthError } // remote call throws
  | { kind: 'storage'; seed?: Seed } // storage works (seeded first)
  | { kind: 'storageFails' }; // every storage operation of this actor throws

export interface DoneFixture<K extends ActorSrc> {
  /** The output, or how the real actor derives it from the context (e.g. a refresh keeps `signedInWith`). */
  output: OutputOf<K> | ((context: AuthContext) => OutputOf<K>);
  arrange: Arrange;
}
export interface ErrorFixture {
  error: AuthError;
  arrange: Arrange;
}

export const NOW_S = 1_767_225_600; // 2026-01-01T00:00:00Z
export const revocableTokens = makeTokens({ now: NOW_S, expiresIn: 3600, revocable: true });
export const plainTokens = makeTokens({ now: NOW_S, expiresIn: 3600, revocable: false });
/** A hosted-UI sign-in that did not ask for aws.cognito.signin.user.admin: no GlobalSignOut. */
export const webOnlyTokens = makeTokens({ now: NOW_S, expiresIn: 3600, revocable: true, scope: 'openid email' });
/** Tokens whose access token expired an hour ago: a global sign-out refreshes first. */
export const expiredTokens = makeTokens({ now: NOW_S - 7200, expiresIn: 3600, revocable: true });
export const expiredPlainTokens = makeTokens({ now: NOW_S - 7200, expiresIn: 3600, revocable: false });
export const refreshedTokens = makeTokens({ now: NOW_S, expiresIn: 3600, revocable: true });
/** What the model's hosted UI answers: its ID token carries the nonce of the model's transactions. */
export const redirectTokens = makeTokens({ now: NOW_S, expiresIn: 3600, revocable: true, nonce: 'n' });

const session = (tokens: Tokens, signedInWith: 'password' | 'hostedUI' = 'password', id = MODEL_SESSION_ID): Session =>
  sessionFromTokens(tokens, signedInWith, undefined, id);

/** A challenge as a service answers it, and the outcome the chart gets (its secrets sealed). */
export function challengeOf(kind: ChallengeKind): SignInChallenge {
  const names: Record<ChallengeKind, string> = {
    newPassword: 'NEW_PASSWORD_REQUIRED',
    totpCode: 'SOFTWARE_TOKEN_MFA',
    smsCode: 'SMS_MFA',
    emailCode: 'EMAIL_OTP',
    selectMfa: 'SELECT_MFA_TYPE',
    selectChallenge: 'SELECT_CHALLENGE',
    password: 'PASSWORD_SRP',
    passkey: 'WEB_AUTHN',
  };
  return {
    challenge: kind,
    challengeName: names[kind],
    session: `cognito-session-${kind}`,
    username: 'alice@example.com',
    ...(kind === 'smsCode' ? { destination: '+*******1234' } : {}),
    ...(kind === 'selectMfa' ? { options: ['SMS_MFA', 'SOFTWARE_TOKEN_MFA'] } : {}),
    ...(kind === 'selectChallenge' ? { options: ['EMAIL_OTP', 'WEB_AUTHN', 'PASSWORD_SRP'] } : {}),
    ...(kind === 'passkey' ? { passkeyRequest: '{"challenge":"Y2hhbGxlbmdl","rpId":"example.com"}' } : {}),
  };
}

function challengeFixtures(
  kinds: ChallengeKind[] = [
    'newPassword',
    'totpCode',
    'smsCode',
    'emailCode',
    'selectMfa',
    'selectChallenge',
    'password',
    'passkey',
  ],
): Record<string, DoneFixture<'signIn'>> {
  return Object.fromEntries(
    kinds.map((kind) => {
      const c = challengeOf(kind);
      const info = {
        challenge: kind,
        ...(c.destination ? { destination: c.destination } : {}),
        ...(c.options ? { options: c.options } : {}),
      };
      return [
        `challenge:${kind}`,
        { output: { challenge: { sealed: seal(c), info } }, arrange: { kind: 'resolve', challenge: c } },
      ];
    }),
  );
}

const storageFailure = new AuthError('StorageFailure', 'storage failed');
const journal = (scope: 'local' | 'global'): SignOutJournal => ({ scope, startedAt: 0, username: 'alice@example.com' });

export const actorFixtures: {
  [K in ActorSrc]: { done: Record<string, DoneFixture<K>>; error: Record<string, ErrorFixture> };
} = {
  readSession: {
    done: {
      none: {
        output: { status: 'none', journal: null } satisfies RestoreOutput,
        arrange: { kind: 'storage', seed: 'empty' },
      },
      found: {
        output: { status: 'found', session: session(revocableTokens), journal: null },
        arrange: { kind: 'storage', seed: 'valid' },
      },
      /** Another context's sign-in replaced ours (a different session id). */
      foundOther: {
        output: { status: 'found', session: session(plainTokens, 'password', OTHER_SESSION_ID), journal: null },
        arrange: { kind: 'storage', seed: 'validOther' },
      },
      foundHostedUI: {
        output: { status: 'found', session: session(revocableTokens, 'hostedUI'), journal: null },
        arrange: { kind: 'storage', seed: 'validHostedUI' },
      },
      invalid: {
        output: {
          status: 'invalid',
          username: 'alice@example.com',
          error: new AuthError('InvalidToken', 'bad'),
          journal: null,
        },
        arrange: { kind: 'storage', seed: 'garbage' },
      },
      interruptedLocal: {
        output: { status: 'found', session: session(revocableTokens), journal: journal('local') },
        arrange: { kind: 'storage', seed: 'journalLocal' },
      },
      interruptedGlobal: {
        output: { status: 'found', session: session(revocableTokens), journal: journal('global') },
        arrange: { kind: 'storage', seed: 'journalGlobal' },
      },
      interruptedTokensGone: {
        output: { status: 'none', journal: journal('local') },
        arrange: { kind: 'storage', seed: 'journalOnly' },
      },
    },
    error: { storage: { error: storageFailure, arrange: { kind: 'storageFails' } } },
  },
  signIn: {
    done: {
      revocable: {
        output: { session: session(revocableTokens) },
        arrange: { kind: 'resolve', tokens: revocableTokens },
      },
      notRevocable: { output: { session: session(plainTokens) }, arrange: { kind: 'resolve', tokens: plainTokens } },
      ...challengeFixtures(),
    },
    error: {
      notAuthorized: {
        error: new AuthError('NotAuthorized', 'Incorrect username or password.'),
        arrange: { kind: 'reject', error: new AuthError('NotAuthorized', 'Incorrect username or password.') },
      },
      network: {
        error: new AuthError('Network', 'down'),
        arrange: { kind: 'reject', error: new AuthError('Network', 'down') },
      },
    },
  },
  respondToChallenge: {
    done: {
      signedIn: {
        output: { session: session(revocableTokens) },
        arrange: { kind: 'resolve', tokens: revocableTokens },
      },
      ...challengeFixtures(['totpCode', 'passkey']),
    },
    error: {
      codeMismatch: {
        error: new AuthError('CodeMismatch', 'Invalid code received for user'),
        arrange: { kind: 'reject', error: new AuthError('CodeMismatch', 'Invalid code received for user') },
      },
      expired: {
        error: new AuthError('Expired', 'Invalid session for the user, session is expired.'),
        arrange: {
          kind: 'reject',
          error: new AuthError('Expired', 'Invalid session for the user, session is expired.'),
        },
      },
    },
  },
  startRedirect: {
    done: {
      leaving: { output: { leaving: true }, arrange: { kind: 'resolve' } },
      caughtCallback: {
        output: { redirectUrl: seal('https://app.example/callback?code=c&state=s') },
        arrange: { kind: 'resolve', redirectUrl: 'https://app.example/callback?code=c&state=s' },
      },
    },
    error: {
      cancelled: {
        error: new AuthError('Cancelled', 'closed'),
        arrange: { kind: 'reject', error: new AuthError('Cancelled', 'closed') },
      },
    },
  },
  exchangeCode: {
    done: {
      ok: {
        output: { session: session(redirectTokens, 'hostedUI'), customState: 'back-to' },
        arrange: { kind: 'resolve', tokens: redirectTokens },
      },
    },
    error: {
      stateMismatch: {
        error: new AuthError('StateMismatch', 'state'),
        arrange: { kind: 'reject', error: new AuthError('StateMismatch', 'state') },
      },
    },
  },
  saveSession: {
    done: {
      ok: { output: { superseded: false }, arrange: { kind: 'storage', seed: 'empty' } },
      replacedAnother: { output: { superseded: true }, arrange: { kind: 'storage', seed: 'validOther' } },
    },
    error: { storage: { error: storageFailure, arrange: { kind: 'storageFails' } } },
  },
  storeRefreshedTokens: {
    done: {
      written: { output: 'written', arrange: { kind: 'storage' } },
      notOurs: { output: 'notOurs', arrange: { kind: 'storage', seed: 'empty' } },
    },
    error: { storage: { error: storageFailure, arrange: { kind: 'storageFails' } } },
  },
  refreshTokens: {
    done: {
      ok: {
        // The fake refresh answers no refresh token: the current one is kept (no rotation here).
        output: (c) =>
          session(
            { ...refreshedTokens, refreshToken: c.session ? unseal(c.session.tokens).refreshToken : '' },
            c.session?.signedInWith,
            c.session?.sessionId,
          ),
        arrange: { kind: 'resolve', tokens: refreshedTokens },
      },
    },
    error: {
      notAuthorized: {
        error: new AuthError('NotAuthorized', 'Refresh Token has been revoked'),
        arrange: { kind: 'reject', error: new AuthError('NotAuthorized', 'Refresh Token has been revoked') },
      },
      network: {
        error: new AuthError('Network', 'down'),
        arrange: { kind: 'reject', error: new AuthError('Network', 'down') },
      },
    },
  },
  hostedUISignOut: {
    done: { ok: { output: undefined, arrange: { kind: 'resolve' } } },
    error: {
      cancelled: {
        error: new AuthError('Cancelled', 'popup closed'),
        arrange: { kind: 'reject', error: new AuthError('Cancelled', 'popup closed') },
      },
      network: {
        error: new AuthError('Network', 'down'),
        arrange: { kind: 'reject', error: new AuthError('Network', 'down') },
      },
    },
  },
  globalSignOut: {
    done: { ok: { output: undefined, arrange: { kind: 'resolve' } } },
    error: {
      network: {
        error: new AuthError('Network', 'down'),
        arrange: { kind: 'reject', error: new AuthError('Network', 'down') },
      },
      notAuthorized: {
        error: new AuthError('NotAuthorized', 'Access Token has been revoked'),
        arrange: { kind: 'reject', error: new AuthError('NotAuthorized', 'Access Token has been revoked') },
      },
    },
  },
  passkeyAssertion: {
    done: {
      asserted: {
        output: seal('{"id":"cred-1","type":"public-key"}'),
        arrange: { kind: 'resolve' },
      },
    },
    error: {
      cancelled: {
        error: new AuthError('PasskeyCancelled', 'The passkey prompt was cancelled'),
        arrange: { kind: 'reject', error: new AuthError('PasskeyCancelled', 'The passkey prompt was cancelled') },
      },
    },
  },
  deleteUser: {
    done: { ok: { output: undefined, arrange: { kind: 'resolve' } } },
    error: {
      network: {
        error: new AuthError('Network', 'down'),
        arrange: { kind: 'reject', error: new AuthError('Network', 'down') },
      },
    },
  },
  revokeToken: {
    done: { ok: { output: undefined, arrange: { kind: 'resolve' } } },
    error: {
      unsupported: {
        error: new AuthError('RevocationUnsupported', 'disabled'),
        arrange: { kind: 'reject', error: new AuthError('RevocationUnsupported', 'disabled') },
      },
      network: {
        error: new AuthError('Network', 'down'),
        arrange: { kind: 'reject', error: new AuthError('Network', 'down') },
      },
    },
  },
  writeJournal: {
    done: { ok: { output: { kind: 'asHeld' }, arrange: { kind: 'storage' } } },
    error: { storage: { error: storageFailure, arrange: { kind: 'storageFails' } } },
  },
  clearSession: {
    done: { ok: { output: { kind: 'cleared' }, arrange: { kind: 'storage' } } },
    error: { storage: { error: storageFailure, arrange: { kind: 'storageFails' } } },
  },
  // The outbox child is spawned (startOutbox), never invoked: no done or error event of the chart's own. Its chart is tested on its own.
  outbox: { done: {}, error: {} },
};

/** Every delay fires in the model; the replay advances the simulated clock past it. */
export const delayFixtures: Record<DelayName, { fires: true }> = {
  remoteStepTimeout: { fires: true },
  challengeExpiry: { fires: true },
  storageTimeout: { fires: true },
  hostedUITimeout: { fires: true },
  refreshDelay: { fires: true },
  refreshRetryDelay: { fires: true },
};

/** The events a user can send, with the variants worth exploring. `offline` is read by the model's guard. */
export type ModelEvent = AuthEvent & { offline?: boolean; leavesPage?: boolean };
export const userEvents: { [T in AuthEvent['type']]: ModelEvent[] } = {
  SIGN_IN: [
    { type: 'SIGN_IN', id: 1, credentials: seal({ username: 'alice@example.com', password: 'pw' }) },
    { type: 'SIGN_IN', id: 3, credentials: seal({ username: 'alice@example.com', password: 'pw' }), offline: true },
  ],
  ADOPT_SESSION: [
    { type: 'ADOPT_SESSION', id: 2, session: session(revocableTokens, 'hostedUI') },
    { type: 'ADOPT_SESSION', id: 4, session: session(webOnlyTokens, 'hostedUI') },
    { type: 'ADOPT_SESSION', id: 5, session: session(expiredTokens) },
    { type: 'ADOPT_SESSION', id: 6, session: session(expiredPlainTokens) },
  ],
  FETCH_TOKENS: [
    { type: 'FETCH_TOKENS', id: 50, minValidityMs: 0, forceRefresh: false },
    { type: 'FETCH_TOKENS', id: 51, minValidityMs: 0, forceRefresh: true },
    { type: 'FETCH_TOKENS', id: 52, minValidityMs: 0, forceRefresh: true, offline: true },
  ],
  SIGN_OUT: [
    { type: 'SIGN_OUT', id: 10, global: false },
    { type: 'SIGN_OUT', id: 11, global: true },
    { type: 'SIGN_OUT', id: 12, global: false, offline: true },
    { type: 'SIGN_OUT', id: 13, global: false, leavesPage: true },
  ],
  DELETE_USER: [
    { type: 'DELETE_USER', id: 60 },
    { type: 'DELETE_USER', id: 61, offline: true },
  ],
  RETRY_DEFERRED: [{ type: 'RETRY_DEFERRED', id: 20 }],
  REDIRECT_SIGN_IN: [{ type: 'REDIRECT_SIGN_IN', id: 40, customState: 'back-to' }],
  HANDLE_REDIRECT: [{ type: 'HANDLE_REDIRECT', id: 41, url: seal('https://app.example/callback?code=c&state=s') }],
  CONFIRM_SIGN_IN: [{ type: 'CONFIRM_SIGN_IN', id: 30, answer: seal('123456') }],
  OUTBOX_DRAINED: [
    { type: 'OUTBOX_DRAINED', ids: [], settled: 0, remaining: 0, quiet: true },
    { type: 'OUTBOX_DRAINED', ids: [], settled: 0, remaining: 0, quiet: false },
  ],
  SYNC_SIGNED_OUT: [{ type: 'SYNC_SIGNED_OUT' }],
  SYNC_SIGNED_IN: [{ type: 'SYNC_SIGNED_IN' }],
  WAKE: [{ type: 'WAKE' }],
  // Through the public API instead (see ELSEWHERE in model.test.ts): stop() ends the actor right
  // after; a late answer's unrevoked token comes from a step the chart already left.
  STOP: [],
  TOKENS_UNREVOKED: [],
};
