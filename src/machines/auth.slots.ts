import { fromPromise } from 'xstate';
import { AuthError } from '../errors.js';
import type { Tokens } from '../services/types.js';
import { seal, unseal } from '../session/sealed.js';
import { refreshedSession, type Session, sessionFromTokens, tokenStringsOf } from '../session/session.js';
import { type AuthMachine, authMachine } from './auth.machine.js';
import { outboxWithServices } from './outbox.slots.js';
import {
  checkTokens,
  depsOf,
  dropLate,
  type Hold,
  malformed,
  outcomeOf,
  remembered,
  revokeOnStop,
  scrubbed,
  secretsOf,
  tokenField,
} from './slots.shared.js';

/**
 * Runs a step while `values` (a password, a code, a redirect URL) are held: the enclosing
 * {@link scrubbed} scrubs them from what it throws, and releases them only after that.
 */
function withHeld<T>(hold: Hold, values: unknown[], run: () => Promise<T>): Promise<T> {
  hold(...values);
  return run();
}

/** The authorization code of a redirect URL (the token endpoint may echo it); `null` if it is no URL. */
function codeOf(url: string): string | null {
  try {
    return new URL(url).searchParams.get('code');
  } catch {
    return null;
  }
}

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
      scrubbed('Sign-in', async ({ input, signal }, hold) => {
        const deps = depsOf(input.deps);
        const credentials = unseal(input.credentials);
        // The password (or USER_AUTH's continuation session) is a secret only while its sign-in runs,
        // and `user:password` with it (HTTP Basic's form).
        const { username } = credentials;
        const secret = credentials.password ?? credentials.session;
        return withHeld(hold, secret ? [secret, `${username}:${secret}`] : [], async () =>
          outcomeOf(deps, await deps.services.signIn(credentials, signal), 'Sign-in', signal),
        );
      }),
    ),
    respondToChallenge: fromPromise(
      scrubbed('Answering the challenge', async ({ input, signal }, hold) => {
        const deps = depsOf(input.deps);
        const respond = deps.services.respondToChallenge;
        if (!respond) {
          throw new AuthError('InvalidConfig', 'A challenge needs services.respondToChallenge');
        }
        const answer = unseal(input.answer);
        return withHeld(hold, [answer], async () =>
          outcomeOf(
            deps,
            await respond.call(deps.services, { challenge: unseal(input.challenge), answer }, signal),
            'Answering the challenge',
            signal,
          ),
        );
      }),
    ),
    passkeyAssertion: fromPromise(
      scrubbed('The passkey', async ({ input, signal }) => {
        const { passkeys } = depsOf(input.deps);
        if (!passkeys) throw new AuthError('PasskeyUnsupported', 'No createAuth({ passkeys })');
        // The transport checked Cognito's request is there; an authenticator's non-answer Cognito refuses.
        return seal(String(await passkeys.get(unseal(input.challenge).passkeyRequest ?? '', signal)));
      }),
    ),
    saveSession: fromPromise(
      scrubbed('Saving the session', async ({ input, signal }) => {
        const deps = depsOf(input.deps);
        // Left (a signOut() cancelled the sign-in, docs/sign-out.md row 14) or stopped: the write
        // must not land after that, so it is fenced off. Both abort `signal`: leaving the state stops
        // this step, and so does stop(), which stops the chart and every step with it (at once).
        // `deps.stopped` is read only after, to tell the two apart: an instance makes that signal
        // at its first read, and an idle one then keeps none.
        try {
          return await deps.store.save(remembered(deps, input.session), signal);
        } catch (error) {
          // stop() fenced the write off (or it failed after): no storage holds this sign-in (row 25).
          if (deps.stopped?.aborted && input.revokeIfStopped)
            revokeOnStop(deps.services, input.session, input.revokeIfStopped.withinMs);
          throw error;
        }
      }),
    ),
    storeRefreshedTokens: fromPromise(
      scrubbed('Storing the refreshed tokens', ({ input }) => {
        const deps = depsOf(input.deps);
        return deps.store.saveRefreshed(remembered(deps, input.session));
      }),
    ),
    refreshTokens: fromPromise(
      scrubbed('Token refresh', async ({ input, signal }) => {
        const deps = depsOf(input.deps);
        const fresh: unknown = await deps.services.refresh(
          unseal(input.session.tokens).refreshToken,
          signal,
          unseal(input.session.tokens).accessToken,
        );
        secretsOf(deps).remember(tokenStringsOf(fresh));
        const before = unseal(input.session.tokens);
        dropLate(deps, fresh, before.refreshToken, signal);
        let session: Session;
        try {
          session = remembered(deps, refreshedSession(input.session, fresh as Partial<Tokens>, deps.clock.now()));
        } catch (error) {
          // A malformed answer with a rotated refresh token: that token is revoked, as in checkTokens.
          const rotated = tokenField(fresh, 'refreshToken');
          throw await malformed(deps, error, rotated === before.refreshToken ? undefined : rotated, signal);
        }
        const after = unseal(session.tokens);
        // The same user, the same issuer, and fresh tokens (a kept ID token may be past its exp).
        // A rotated refresh token that fails is revoked: no session will hold it.
        const expect = {
          previous: before,
          fresh: { accessToken: true, idToken: after.idToken !== before.idToken },
          revoke: after.refreshToken !== before.refreshToken,
        };
        await checkTokens(deps, after, expect, 'Token refresh', signal);
        return session;
      }),
    ),
    hostedUISignOut: fromPromise(
      scrubbed('The hosted UI sign-out', ({ input, signal }) => {
        const { services, hostedUI } = depsOf(input.deps);
        if (hostedUI) return hostedUI.signOut(signal);
        if (!services.hostedUISignOut) {
          return Promise.reject(new AuthError('InvalidConfig', 'A hosted-UI session, but no hostedUI is configured'));
        }
        return services.hostedUISignOut(signal);
      }),
    ),
    startRedirect: fromPromise(
      scrubbed('The hosted-UI sign-in', async ({ input, signal }) => {
        const { hostedUI, store } = depsOf(input.deps);
        if (!hostedUI) throw new AuthError('InvalidConfig', 'signInWithRedirect needs createAuth({ hostedUI })');
        const options: { provider?: string; customState?: string } = {};
        if (input.provider !== undefined) options.provider = input.provider;
        if (input.customState !== undefined) options.customState = input.customState;
        const { url, transaction } = await hostedUI.createAuthorization(options);
        // Kept before leaving: the page that comes back needs the verifier.
        await store.writeRedirect(transaction);
        try {
          const back = await hostedUI.openUrl(url, 'signIn', signal);
          return back === undefined ? { leaving: true as const } : { redirectUrl: seal(back) };
        } catch (error) {
          // No redirect will come back for it: the verifier must not wait in storage.
          await store.takeRedirect().catch(() => null);
          throw error;
        }
      }),
    ),
    exchangeCode: fromPromise(
      scrubbed('The hosted-UI redirect', async ({ input, signal }, hold) => {
        const deps = depsOf(input.deps);
        const { hostedUI, store, clock } = deps;
        if (!hostedUI) throw new AuthError('InvalidConfig', 'handleRedirect needs createAuth({ hostedUI })');
        const url = unseal(input.url);
        // The token endpoint's error may echo the code and the verifier it was sent.
        return withHeld(hold, [url, codeOf(url)], async () => {
          const transaction = await store.takeRedirect();
          if (!transaction) {
            throw new AuthError('StateMismatch', 'No hosted-UI sign-in waits for this redirect');
          }
          hold(transaction.codeVerifier);
          const { tokens, customState } = await hostedUI.exchangeCode(url, transaction, signal);
          dropLate(deps, tokens, undefined, signal);
          const session = remembered(deps, sessionFromTokens(tokens, 'hostedUI', clock.now()));
          const issuer = hostedUI.issuer ?? deps.services.issuer;
          const expect = {
            clientId: hostedUI.clientId,
            nonce: transaction.nonce,
            revoke: true,
            ...(issuer === undefined ? {} : { issuer }),
          };
          await checkTokens(deps, unseal(session.tokens), expect, 'The hosted-UI redirect', signal);
          return customState === undefined ? { session } : { session, customState };
        });
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
      scrubbed('Clearing the stored tokens', async ({ input }) => {
        const deps = depsOf(input.deps);
        const keep = input.keepForRevocation;
        const done = await deps.store.clear(
          input,
          {
            keepForRevocation: keep ? { refreshToken: unseal(keep.tokens).refreshToken, global: keep.global } : null,
            neverStored: input.neverStored === true,
            revoked: input.revoked ? unseal(input.revoked.tokens).refreshToken : null,
            held: input.revoked ?? null,
            globally: input.globally === true,
            earlier: input.earlier ? unseal(input.earlier) : [],
            refused: input.refused ? unseal(input.refused).refreshToken : null,
            // stop() fences the clear off: the journal stays, and the next start finishes it (and tells the others).
          },
          deps.stopped,
        );
        if (done.kind === 'newerTokens') remembered(deps, done.newer);
        const safe = (error: AuthError) => secretsOf(deps).safeError(error, 'Keeping the refresh token for later');
        const old = done.oldLayout;
        return {
          ...done,
          ...(done.outboxError ? { outboxError: safe(done.outboxError) } : {}),
          ...(old && !old.deferred ? { oldLayout: { deferred: false as const, error: safe(old.error) } } : {}),
        };
      }),
    ),
    deleteUser: fromPromise(
      // deleteUser() asks only with a transport that has cognitoCall (src/account/delete.ts).
      scrubbed('DeleteUser', async ({ input, signal }) => {
        await depsOf(input.deps).services.cognitoCall?.(
          'DeleteUser',
          { AccessToken: unseal(input.tokens).accessToken },
          signal,
        );
      }),
    ),
    writeJournal: fromPromise(
      scrubbed('Writing the sign-out journal', async ({ input }) => {
        const deps = depsOf(input.deps);
        const { scope, username, sessionId, deleted } = input;
        const out = await deps.store.writeJournal(
          { scope, username, sessionId, startedAt: deps.clock.now(), deleted: deleted || undefined },
          input.session,
        );
        if (out.kind === 'newerTokens') remembered(deps, out.newer);
        return out;
      }),
    ),
    outbox: outboxWithServices,
  },
});
