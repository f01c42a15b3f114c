import { fromCallback, fromPromise } from 'xstate';
import { AuthError, type AuthErrorCode } from '../errors.js';
import { safeIsOnline } from '../services/connectivity.js';
import type { Tokens } from '../services/types.js';
import { SecretRegistry } from '../session/redact.js';
import { type Sealed, seal, unseal } from '../session/sealed.js';
import { answerObject, refreshedSession, type Session, sessionFromTokens, tokenStringsOf } from '../session/session.js';
import { computeRefreshDelay } from './auth.logic.js';
import { type AuthMachine, authMachine } from './auth.machine.js';
import type { AuthDeps } from './auth.types.js';
import { type OutboxEvent, outboxMachine } from './outbox.machine.js';

function depsOf(deps: Sealed<AuthDeps> | null): AuthDeps {
  if (!deps) throw new AuthError('InvalidConfig', 'The machine was started without services (input.deps)');
  return unseal(deps);
}

// Deps built by hand (tests, custom hosts) may lack a registry: each gets its own, once.
const registries = new WeakMap<AuthDeps, SecretRegistry>();
function secretsOf(deps: AuthDeps): SecretRegistry {
  if (deps.secrets) return deps.secrets;
  const made = registries.get(deps) ?? new SecretRegistry();
  registries.set(deps, made);
  return made;
}

/** Remembers a session's tokens as secrets of this instance, and passes the session on. */
function remembered(deps: AuthDeps, session: Session): Session {
  secretsOf(deps).remember(tokenStringsOf(unseal(session.tokens)));
  return session;
}

/**
 * Wraps a step so that whatever it throws reaches the chart (and the inspector) scrubbed of every
 * secret this instance holds, with a safe copy of its cause chain (see session/redact.ts). `what`
 * is the chart's name for the step, so messages read as before.
 */
function scrubbed<A extends { input: { deps: Sealed<AuthDeps> | null } }, O>(
  what: string,
  run: (args: A) => PromiseLike<O>,
  fallback?: AuthErrorCode,
): (args: A) => Promise<O> {
  return async (args) => {
    try {
      return await run(args);
    } catch (thrown) {
      if (!args.input.deps) throw thrown;
      throw secretsOf(unseal(args.input.deps)).safeError(thrown, what, fallback);
    }
  };
}

/** The outbox child with authchart's implementations in its slots. */
const outboxWithServices = outboxMachine.provide({
  actors: {
    readOutbox: fromPromise(
      scrubbed(
        'The revocation outbox',
        async ({ input }) => {
          const deps = depsOf(input.deps);
          const tokens = await deps.store.readOutbox();
          secretsOf(deps).remember(tokens);
          return { tokens: seal(tokens), count: tokens.length };
        },
        'StorageFailure',
      ),
    ),
    revokeDeferred: fromPromise(
      scrubbed('RevokeToken', ({ input, signal }) => {
        const token = unseal(input.tokens)[input.index];
        if (token === undefined) return Promise.reject(new AuthError('InvalidState', 'No such deferred token'));
        return depsOf(input.deps).services.revokeToken(token, signal);
      }),
    ),
    settleOutbox: fromPromise(
      scrubbed(
        'The revocation outbox',
        ({ input }) => {
          const tokens = unseal(input.tokens);
          const done = input.settled.map((i) => tokens[i]).filter((t): t is string => t !== undefined);
          return depsOf(input.deps).store.settleOutbox(done);
        },
        'StorageFailure',
      ),
    ),
    watchConnectivity: fromCallback<OutboxEvent, { deps: Sealed<AuthDeps> | null }>(({ sendBack, input }) => {
      const unsubscribe = depsOf(input.deps).connectivity.subscribe?.((online) => {
        if (online) sendBack({ type: 'ONLINE' });
      });
      return () => unsubscribe?.();
    }),
  },
  guards: {
    isOnline: ({ context }) => safeIsOnline(depsOf(context.deps).connectivity),
  },
});

/**
 * @internal The chart with authchart's own implementations in its slots, built once and shared by
 * every instance: each instance's services come in through its input (`deps`, sealed).
 */
export const authMachineWithServices: AuthMachine = authMachine.provide({
  actors: {
    readSession: fromPromise(
      scrubbed('Reading the stored session', async ({ input }) => {
        const deps = depsOf(input.deps);
        const loaded = await deps.store.load();
        if (loaded.status === 'found') remembered(deps, loaded.session);
        if (loaded.status !== 'invalid') return loaded;
        return { ...loaded, error: secretsOf(deps).safeError(loaded.error, 'Reading the stored session') };
      }),
    ),
    signIn: fromPromise(
      scrubbed('Sign-in', async ({ input, signal }) => {
        const deps = depsOf(input.deps);
        const secrets = secretsOf(deps);
        const credentials = unseal(input.credentials);
        // The password is a secret only while its sign-in runs: scrub it from what this step throws.
        const release = secrets.hold(credentials.password);
        signal.addEventListener('abort', release, { once: true });
        try {
          const step: unknown = await deps.services.signIn(credentials, signal);
          secrets.remember(tokenStringsOf(step));
          const answer = answerObject(step, 'Sign-in');
          if ('challenge' in answer) {
            const challengeName = typeof answer['challengeName'] === 'string' ? answer['challengeName'] : 'unknown';
            throw new AuthError('ChallengeRequired', `Sign-in needs the ${challengeName} challenge`, { challengeName });
          }
          return sessionFromTokens(answer as unknown as Tokens, 'password', deps.clock.now());
        } catch (thrown) {
          throw secrets.safeError(thrown, 'Sign-in');
        } finally {
          release();
        }
      }),
    ),
    saveSession: fromPromise(
      scrubbed('Saving the session', ({ input }) => {
        const deps = depsOf(input.deps);
        return deps.store.save(remembered(deps, input.session));
      }),
    ),
    refreshTokens: fromPromise(
      scrubbed('Token refresh', async ({ input, signal }) => {
        const deps = depsOf(input.deps);
        const fresh: unknown = await deps.services.refresh(unseal(input.session.tokens).refreshToken, signal);
        secretsOf(deps).remember(tokenStringsOf(fresh));
        return remembered(deps, refreshedSession(input.session, fresh as Partial<Tokens>, deps.clock.now()));
      }),
    ),
    hostedUISignOut: fromPromise(
      scrubbed('The hosted UI sign-out', ({ input, signal }) => {
        const { services } = depsOf(input.deps);
        if (!services.hostedUISignOut) {
          return Promise.reject(
            new AuthError(
              'InvalidConfig',
              'This session came from the hosted UI, but services.hostedUISignOut is not set',
            ),
          );
        }
        return services.hostedUISignOut(signal);
      }),
    ),
    globalSignOut: fromPromise(
      scrubbed('GlobalSignOut', ({ input, signal }) =>
        depsOf(input.deps).services.globalSignOut(unseal(input.tokens).accessToken, signal),
      ),
    ),
    revokeToken: fromPromise(
      scrubbed('RevokeToken', ({ input, signal }) =>
        depsOf(input.deps).services.revokeToken(unseal(input.tokens).refreshToken, signal),
      ),
    ),
    clearSession: fromPromise(
      scrubbed('Clearing the stored tokens', ({ input }) =>
        depsOf(input.deps).store.clear(input.username, {
          keepForRevocation: input.keepForRevocation ? unseal(input.keepForRevocation).refreshToken : null,
        }),
      ),
    ),
    writeJournal: fromPromise(
      scrubbed('Writing the sign-out journal', ({ input }) => {
        const { store, clock } = depsOf(input.deps);
        return store.writeJournal({ scope: input.scope, username: input.username, startedAt: clock.now() });
      }),
    ),
    outbox: outboxWithServices,
  },
  actions: {
    publishSignedIn: ({ context }) => depsOf(context.deps).sync?.publish({ type: 'signedIn' }),
    publishSignedOut: ({ context }) => depsOf(context.deps).sync?.publish({ type: 'signedOut' }),
  },
  guards: {
    // An unknown state counts as online: the step timeout still bounds every remote call.
    isOffline: ({ context }) => !safeIsOnline(depsOf(context.deps).connectivity),
  },
  delays: {
    refreshDelay: ({ context }) =>
      context.session ? computeRefreshDelay(context.session, context.config, depsOf(context.deps).clock.now()) : 0,
  },
});
