import { fromCallback, fromPromise } from 'xstate';
import { AuthError, NETWORK_CODES } from '../errors.js';
import { safeIsOnline } from '../services/connectivity.js';
import { type Sealed, seal, unseal } from '../session/sealed.js';
import type { AuthDeps } from './auth.types.js';
import { type OutboxEvent, outboxMachine } from './outbox.machine.js';
import { depsOf, scrubbed, secretsOf } from './slots.shared.js';

/**
 * A deferred global sign-out: refresh (GlobalSignOut needs a live access token), then GlobalSignOut.
 * No answer keeps the entry (it throws); a refusal of either falls through to RevokeToken, as the
 * sign-out itself does (a refresh refused for good means RevokeToken is refused too: settled).
 */
async function deferredGlobalSignOut(deps: AuthDeps, token: string, signal: AbortSignal): Promise<void> {
  try {
    const fresh = await deps.services.refresh(token, signal);
    if (typeof fresh?.accessToken !== 'string') return;
    secretsOf(deps).remember([fresh.accessToken, fresh.idToken, fresh.refreshToken]);
    await deps.services.globalSignOut(fresh.accessToken, signal);
  } catch (error) {
    if (error instanceof AuthError && NETWORK_CODES.has(error.code)) throw error;
  }
}

/** The outbox child with authchart's implementations in its slots. */
export const outboxWithServices = outboxMachine.provide({
  actors: {
    readOutbox: fromPromise(
      scrubbed(
        'The revocation outbox',
        async ({ input }) => {
          const deps = depsOf(input.deps);
          const entries = await deps.store.readOutbox();
          const tokens = entries.map((e) => e.refreshToken);
          secretsOf(deps).remember(tokens);
          return { tokens: seal(tokens), count: tokens.length, globals: entries.map((e) => e.global) };
        },
        'StorageFailure',
      ),
    ),
    revokeDeferred: fromPromise(
      scrubbed('RevokeToken', async ({ input, signal }) => {
        const token = unseal(input.tokens)[input.index];
        if (token === undefined) throw new AuthError('InvalidState', 'No such deferred token');
        const deps = depsOf(input.deps);
        if (input.global) await deferredGlobalSignOut(deps, token, signal);
        await deps.services.revokeToken(token, signal);
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
