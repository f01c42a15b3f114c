import { fromCallback, fromPromise } from 'xstate';
import { AuthError } from '../errors.js';
import { safeIsOnline } from '../services/connectivity.js';
import type { SignInStep } from '../services/types.js';
import { type Sealed, seal, unseal } from '../session/sealed.js';
import { refreshedSession, sessionFromTokens } from '../session/session.js';
import { computeRefreshDelay } from './auth.logic.js';
import { type AuthMachine, authMachine } from './auth.machine.js';
import type { AuthDeps, ChallengeInfo, SignInOutcome } from './auth.types.js';
import { type OutboxEvent, outboxMachine } from './outbox.machine.js';

/** A service's sign-in step as the chart's outcome: a session, or a challenge with its secrets sealed. */
function outcomeOf(step: SignInStep, now: number): SignInOutcome {
  if (step && typeof step === 'object' && 'challenge' in step) {
    const info: ChallengeInfo = { challenge: step.challenge };
    if (step.destination !== undefined) info.destination = step.destination;
    if (step.options !== undefined) info.options = [...step.options];
    return { challenge: { sealed: seal(step), info } };
  }
  return { session: sessionFromTokens(step, 'password', now) };
}

function depsOf(deps: Sealed<AuthDeps> | null): AuthDeps {
  if (!deps) throw new AuthError('InvalidConfig', 'The machine was started without services (input.deps)');
  return unseal(deps);
}

/** The outbox child with authchart's implementations in its slots. */
const outboxWithServices = outboxMachine.provide({
  actors: {
    readOutbox: fromPromise(async ({ input }) => {
      const tokens = await depsOf(input.deps).store.readOutbox();
      return { tokens: seal(tokens), count: tokens.length };
    }),
    revokeDeferred: fromPromise(({ input, signal }) => {
      const token = unseal(input.tokens)[input.index];
      if (token === undefined) return Promise.reject(new AuthError('InvalidState', 'No such deferred token'));
      return depsOf(input.deps).services.revokeToken(token, signal);
    }),
    settleOutbox: fromPromise(({ input }) => {
      const tokens = unseal(input.tokens);
      const done = input.settled.map((i) => tokens[i]).filter((t): t is string => t !== undefined);
      return depsOf(input.deps).store.settleOutbox(done);
    }),
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
    readSession: fromPromise(({ input }) => depsOf(input.deps).store.load()),
    signIn: fromPromise(async ({ input, signal }) => {
      const { services, clock } = depsOf(input.deps);
      return outcomeOf(await services.signIn(unseal(input.credentials), signal), clock.now());
    }),
    respondToChallenge: fromPromise(async ({ input, signal }) => {
      const { services, clock } = depsOf(input.deps);
      if (!services.respondToChallenge) {
        throw new AuthError(
          'InvalidConfig',
          'The sign-in needs a challenge answered, but services.respondToChallenge is not set',
        );
      }
      const step = await services.respondToChallenge(
        { challenge: unseal(input.challenge), answer: unseal(input.answer) },
        signal,
      );
      return outcomeOf(step, clock.now());
    }),
    saveSession: fromPromise(({ input }) => depsOf(input.deps).store.save(input.session)),
    refreshTokens: fromPromise(async ({ input, signal }) => {
      const { services, clock } = depsOf(input.deps);
      const fresh = await services.refresh(unseal(input.session.tokens).refreshToken, signal);
      return refreshedSession(input.session, fresh, clock.now());
    }),
    hostedUISignOut: fromPromise(({ input, signal }) => {
      const { services, hostedUI } = depsOf(input.deps);
      if (hostedUI) return hostedUI.signOut(signal);
      if (!services.hostedUISignOut) {
        return Promise.reject(
          new AuthError('InvalidConfig', 'This session came from the hosted UI, but no hostedUI is configured'),
        );
      }
      return services.hostedUISignOut(signal);
    }),
    startRedirect: fromPromise(async ({ input, signal }) => {
      const { hostedUI, store } = depsOf(input.deps);
      if (!hostedUI) throw new AuthError('InvalidConfig', 'signInWithRedirect needs createAuth({ hostedUI })');
      const options: { provider?: string; customState?: string } = {};
      if (input.provider !== undefined) options.provider = input.provider;
      if (input.customState !== undefined) options.customState = input.customState;
      const { url, transaction } = await hostedUI.createAuthorization(options);
      // Kept before leaving: the page that comes back needs the verifier.
      await store.writeRedirect(transaction);
      const back = await hostedUI.openUrl(url, 'signIn', signal);
      return back === undefined ? { leaving: true as const } : { redirectUrl: seal(back) };
    }),
    exchangeCode: fromPromise(async ({ input, signal }) => {
      const { hostedUI, store, clock } = depsOf(input.deps);
      if (!hostedUI) throw new AuthError('InvalidConfig', 'handleRedirect needs createAuth({ hostedUI })');
      const transaction = await store.takeRedirect();
      if (!transaction) {
        throw new AuthError(
          'StateMismatch',
          'No hosted-UI sign-in is waiting for this redirect (or it was already handled)',
        );
      }
      const { tokens, customState } = await hostedUI.exchangeCode(unseal(input.url), transaction, signal);
      const session = sessionFromTokens(tokens, 'hostedUI', clock.now());
      return customState === undefined ? { session } : { session, customState };
    }),
    globalSignOut: fromPromise(({ input, signal }) =>
      depsOf(input.deps).services.globalSignOut(unseal(input.tokens).accessToken, signal),
    ),
    revokeToken: fromPromise(({ input, signal }) =>
      depsOf(input.deps).services.revokeToken(unseal(input.tokens).refreshToken, signal),
    ),
    clearSession: fromPromise(({ input }) =>
      depsOf(input.deps).store.clear(input.username, {
        keepForRevocation: input.keepForRevocation ? unseal(input.keepForRevocation).refreshToken : null,
      }),
    ),
    writeJournal: fromPromise(({ input }) => {
      const { store, clock } = depsOf(input.deps);
      return store.writeJournal({ scope: input.scope, username: input.username, startedAt: clock.now() });
    }),
    outbox: outboxWithServices,
  },
  actions: {
    publishSignedIn: ({ context }) => depsOf(context.deps).sync?.publish({ type: 'signedIn' }),
    publishSignedOut: ({ context }) => depsOf(context.deps).sync?.publish({ type: 'signedOut' }),
    leaveForHostedUILogout: ({ context }) => {
      const hostedUI = depsOf(context.deps).hostedUI;
      if (!context.signOut?.logoutLast || !hostedUI) return;
      // The page leaves: nothing waits for this, and a failure can only be logged by the adapter.
      hostedUI.signOut(new AbortController().signal).catch(() => undefined);
    },
  },
  guards: {
    hostedUILeavesPage: ({ context }) => depsOf(context.deps).hostedUI?.leavesPage === true,
    // An unknown state counts as online: the step timeout still bounds every remote call.
    isOffline: ({ context }) => !safeIsOnline(depsOf(context.deps).connectivity),
  },
  delays: {
    refreshDelay: ({ context }) =>
      context.session ? computeRefreshDelay(context.session, context.config, depsOf(context.deps).clock.now()) : 0,
  },
});
