import { fromCallback, fromPromise } from 'xstate';
import { AuthError } from '../errors.js';
import { safeIsOnline, safeSubscribe } from '../services/connectivity.js';
import type { ClaimedRevocation } from '../session/outbox.js';
import { type Sealed, seal, unseal } from '../session/sealed.js';
import type { AuthConfig, AuthDeps } from './auth.types.js';
import { type DeferredAttempt, type OutboxEvent, outboxMachine, revocationOutcome } from './outbox.machine.js';
import { depsOf, scrubbed, secretsOf } from './slots.shared.js';

/** One deferred entry being revoked: its newest token, and the slots that hold it. */
interface Attempt {
  deps: AuthDeps;
  config: AuthConfig;
  token: string;
  slots: number[];
  /** Set once a refresh rotated the token (the outbox entry holds it from then on). */
  rotated: string | null;
}

/**
 * A deferred global sign-out: refresh (GlobalSignOut needs a live access token), keep the refresh
 * token it may have rotated, then GlobalSignOut. A refusal for good of either falls through to
 * RevokeToken, as the sign-out itself does; any other failure throws: the entry is kept, with
 * GlobalSignOut still to do.
 */
async function deferredGlobalSignOut(attempt: Attempt, signal: AbortSignal): Promise<void> {
  const { deps } = attempt;
  const fresh = await refusedForGood(deps.services.refresh(attempt.token, signal));
  if (typeof fresh?.accessToken !== 'string') return;
  secretsOf(deps).remember([fresh.accessToken, fresh.idToken, fresh.refreshToken]);
  if (typeof fresh.refreshToken === 'string' && fresh.refreshToken !== attempt.token) {
    await keepRotated(attempt, fresh.refreshToken);
  }
  // Stopped meanwhile (the drain's abort): no call begins after it, whatever the transport does with a signal.
  signal.throwIfAborted();
  await refusedForGood(deps.services.globalSignOut(fresh.accessToken, signal));
}

/** A call's answer, or undefined when Cognito refused it for good; any other failure is thrown. */
async function refusedForGood<T>(call: Promise<T>): Promise<T | undefined> {
  try {
    return await call;
  } catch (error) {
    if (revocationOutcome(error) === 'refused') return undefined;
    throw error;
  }
}

/**
 * With rotation the old token dies: the new one replaces it in the outbox entry (under the storage
 * lock, and only in slots this drain claimed) before GlobalSignOut can fail. If that write fails the
 * drain still goes on with the new token: it is the only one that still works, and stopping here
 * would lose it for sure.
 */
async function keepRotated(attempt: Attempt, newest: string): Promise<void> {
  // Under the store's own lock, on the storage itself: the index and a claim see no other write.
  const claimed = { slots: attempt.slots, refreshToken: attempt.token };
  await attempt.deps.store.replaceInOutbox(claimed, newest).catch(() => 0);
  attempt.token = newest;
  attempt.rotated = newest;
}

/** The outbox child with authchart's implementations in its slots. */
export const outboxWithServices = outboxMachine.provide({
  actors: {
    claimOutbox: fromPromise(
      scrubbed(
        'The revocation outbox',
        async ({ input }) => {
          const deps = depsOf(input.deps);
          const { config } = input;
          const { claimed, busy, recheckMs } = await deps.store.claimOutbox({
            now: deps.clock.now(),
            // The drain's own timers: one remote step per call, then the settle's storage step.
            stepMs: config.remoteStepMs,
            spareMs: 2 * config.storageMs,
          });
          const tokens = claimed.map((c) => c.refreshToken);
          secretsOf(deps).remember(tokens);
          return {
            tokens: seal(tokens),
            count: tokens.length,
            globals: claimed.map((c) => c.global),
            slots: claimed.map((c) => c.slots),
            busy,
            ...(recheckMs === undefined ? {} : { recheckMs }),
          };
        },
        'StorageFailure',
      ),
    ),
    revokeDeferred: fromPromise(
      scrubbed('RevokeToken', async ({ input, signal }): Promise<DeferredAttempt> => {
        const token = unseal(input.tokens)[input.index];
        if (token === undefined) throw new AuthError('InvalidState', 'No such deferred token');
        const attempt: Attempt = {
          deps: depsOf(input.deps),
          config: input.config,
          token,
          slots: input.slots,
          rotated: null,
        };
        const rotated = () => (attempt.rotated === null ? null : seal(attempt.rotated));
        try {
          if (input.global) await deferredGlobalSignOut(attempt, signal);
          signal.throwIfAborted();
          // The newest token: after a rotation the one first kept is dead already.
          await attempt.deps.services.revokeToken(attempt.token, signal);
          return { outcome: 'revoked', rotated: rotated() };
        } catch (error) {
          return { outcome: revocationOutcome(error), rotated: rotated() };
        }
      }),
    ),
    settleOutbox: fromPromise(
      scrubbed(
        'The revocation outbox',
        ({ input }) => {
          const claimed = unseal(input.tokens).map(
            (refreshToken, i): ClaimedRevocation => ({
              refreshToken,
              global: input.globals[i] === true,
              slots: input.slots[i] ?? [],
            }),
          );
          const done = new Set(input.settled);
          const outcome = {
            settled: claimed.filter((_, i) => done.has(i)),
            kept: claimed.filter((_, i) => !done.has(i)),
          };
          return depsOf(input.deps).store.settleOutbox(outcome);
        },
        'StorageFailure',
      ),
    ),
    watchConnectivity: fromCallback<OutboxEvent, { deps: Sealed<AuthDeps> | null }>(({ sendBack, input }) =>
      safeSubscribe(depsOf(input.deps).connectivity, (online) => {
        if (online) sendBack({ type: 'ONLINE' });
      }),
    ),
  },
  guards: {
    isOnline: ({ context }) => safeIsOnline(depsOf(context.deps).connectivity),
  },
});
