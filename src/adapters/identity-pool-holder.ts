/**
 * What `identityPool()` holds for `auth.fetchCredentials()` (docs/identity-pool.md): the core only
 * forwards the call, clears on its way out of `signedIn`, and rejects; the holding is here, so an
 * app without an identity pool carries none of it.
 *
 * - Credentials are held per holder: the user (the ID token's `iss` and `sub`) or the guest (`''`),
 *   until {@link MARGIN_MS} before `expiration` (half the life, if shorter); then fetched again.
 * - One fetch per holder at a time: every caller that comes while it runs gets its answer.
 * - Each holder's identity id is kept in memory, never given to another: a user's first fetch takes
 *   the guest's (Cognito links it to the user), after which the guest has none.
 * - `clear()` forgets all of it and bumps the generation: a fetch under way is aborted, and its
 *   answer never lands (its callers reject `Cancelled`). Nothing is ever stored.
 */
import { AuthError } from '../errors.js';
import type { AwsCredentials, CredentialsProvider, CredentialsRequest } from '../services/types.js';
import { jwtClaims } from '../session/jwt.js';

/** Fetched again this long before `expiration` (the AWS SDK's own margin). */
const MARGIN_MS = 5 * 60_000;

type Held = { credentials: AwsCredentials; renewAt: number };

const copy = (c: AwsCredentials): AwsCredentials => ({ ...c, expiration: new Date(c.expiration) });

/** The longest a timer waits (2^31 - 1 ms, about 24.8 days). */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * The key and session token stay secrets of the instance while AWS accepts them (until
 * `expiration`), each held on its own: not in the registry's ring of kept values, which a run of
 * fetches would otherwise turn over, pushing out older secrets still alive.
 */
function holdUntilExpired(request: CredentialsRequest, c: AwsCredentials): void {
  const releases = [request.hold(c.secretAccessKey), request.hold(c.sessionToken)];
  const ms = Math.min(Math.max(c.expiration.getTime() - Date.now(), 0), MAX_TIMER_MS);
  const timer: { unref?: () => void } = setTimeout(() => {
    for (const release of releases) release();
  }, ms);
  timer.unref?.();
}

/** @internal The `fetchCredentials` and `clear` of a provider whose `getCredentials` speaks to the pool. */
export function holdCredentials(
  allowGuest: boolean,
  get: CredentialsProvider['getCredentials'],
): Pick<CredentialsProvider, 'fetchCredentials' | 'clear'> {
  let generation = 0;
  let held = new Map<string, Held>();
  let identityIds = new Map<string, string>();
  let running = new Map<string, Promise<AwsCredentials>>();
  /** Aborted by `clear()`: the fetches of the generation it ends. */
  let cleared = new AbortController();

  const cancelled = () => new AuthError('Cancelled', 'fetchCredentials: the session ended before the credentials came');

  /** One fetch for `who`; what it answers lands only if no `clear()` came meanwhile. */
  async function fetchFor(who: string, idToken: string | null, request: CredentialsRequest): Promise<AwsCredentials> {
    const at = generation;
    // A user without an identity yet takes the guest's: Cognito links it to the user (or merges it).
    const identityId = identityIds.get(who) ?? (who ? identityIds.get('') : undefined);
    // Bounded, and aborted by stop() or a clear (no AbortSignal.any: older browsers lack it).
    const controller = new AbortController();
    const abort = () => controller.abort();
    const timer = setTimeout(abort, request.remoteStepMs);
    const ends = [request.stopped, cleared.signal];
    for (const end of ends) end.addEventListener('abort', abort);
    if (request.stopped.aborted) abort();
    let credentials: AwsCredentials;
    try {
      // The bound holds even for a pool transport deaf to its signal: the race ends the wait.
      const ended = new Promise<never>((_, reject) => {
        controller.signal.addEventListener('abort', () =>
          reject(
            request.stopped.aborted || at !== generation
              ? cancelled()
              : new AuthError('Timeout', `fetchCredentials: no answer within ${request.remoteStepMs} ms`),
          ),
        );
      });
      const asked = get(identityId === undefined ? { idToken } : { idToken, identityId }, controller.signal);
      credentials = await Promise.race([asked, ended]);
    } catch (error) {
      throw at === generation ? error : cancelled();
    } finally {
      clearTimeout(timer);
      for (const end of ends) end.removeEventListener('abort', abort);
    }
    // Secrets of the instance until they expire, even if the answer is dropped below.
    holdUntilExpired(request, credentials);
    if (at !== generation) throw cancelled();
    if (who && identityId === identityIds.get('')) {
      // The guest's identity is the user's now: a guest never gets it, nor what it held.
      identityIds.delete('');
      held.delete('');
    }
    identityIds.set(who, credentials.identityId);
    const now = Date.now();
    const life = credentials.expiration.getTime() - now;
    held.set(who, { credentials, renewAt: now + life - Math.min(MARGIN_MS, life / 2) });
    return credentials;
  }

  return {
    async fetchCredentials(request) {
      const at = generation;
      let idToken: string | null = null;
      try {
        ({ idToken } = await request.tokens());
      } catch (error) {
        if (!(error instanceof AuthError && error.code === 'NotSignedIn')) throw error;
        if (!allowGuest)
          throw new AuthError(
            'NotSignedIn',
            'fetchCredentials: not signed in, and guests are not allowed (allowGuest)',
          );
      }
      if (at !== generation) throw cancelled();
      let who = '';
      if (idToken !== null) {
        const { iss, sub } = jwtClaims(idToken, 'ID token');
        who = `${iss} ${sub}`;
      }
      const hit = held.get(who);
      if (hit && !request.forceRefresh && Date.now() < hit.renewAt) return copy(hit.credentials);
      let run = running.get(who);
      if (!run) {
        const runs = running;
        run = fetchFor(who, idToken, request).finally(() => {
          if (runs.get(who) === run) runs.delete(who);
        });
        running.set(who, run);
      }
      const credentials = await run;
      if (at !== generation) throw cancelled();
      return copy(credentials);
    },
    clear() {
      generation++;
      cleared.abort();
      cleared = new AbortController();
      held = new Map();
      identityIds = new Map();
      running = new Map();
    },
  };
}
