import { fromCallback, fromPromise } from 'xstate';
import { AuthError } from '../errors.js';
import { safeIsOnline } from '../services/connectivity.js';
import { type Sealed, seal, unseal } from '../session/sealed.js';
import type { AuthDeps } from './auth.types.js';
import { type OutboxEvent, outboxMachine } from './outbox.machine.js';
import { depsOf, scrubbed, secretsOf } from './slots.shared.js';

/** The outbox child with authchart's implementations in its slots. */
export const outboxWithServices = outboxMachine.provide({
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
