import type { AuthServices } from './services/types.js';
import { unseal } from './session/sealed.js';
import type { Session } from './session/session.js';

/** Small helpers of the public wrapper (`auth.ts`). */

// authchart's timers never keep a Node process alive on their own: the requests they bound do.
export const unrefClock = {
  setTimeout(fn: (...args: unknown[]) => void, ms: number) {
    const timer = setTimeout(fn, ms) as unknown as { unref?: () => void };
    timer.unref?.();
    return timer;
  },
  clearTimeout: (timer: unknown) => clearTimeout(timer as Parameters<typeof clearTimeout>[0]),
};

/** `{ a: { b: 'c' } }` → `a.b.c`: a state value as the one string apps compare. */
export function leafPath(value: unknown): string {
  if (typeof value === 'string') return value;
  const [key, child] = Object.entries(value as Record<string, unknown>)[0] ?? ['', ''];
  const rest = leafPath(child);
  return rest ? `${key}.${rest}` : key;
}

/** A throwing listener must not break the machine; its error is re-thrown outside it. */
export function safely(fn: () => void): void {
  try {
    fn();
  } catch (error) {
    queueMicrotask(() => {
      throw error;
    });
  }
}

/**
 * `stop()`'s best-effort RevokeToken of a rotated refresh token no storage holds. Nothing waits for
 * it: bounded by `remoteStepMs`, and a failure is not reported again (the app was told at stop()
 * that the token is not known to be revoked). Its timer never keeps the process alive.
 */
export function revokeOnStop(services: AuthServices, session: Session, remoteStepMs: number): void {
  const abort = new AbortController();
  const timer = unrefClock.setTimeout(() => abort.abort(), remoteStepMs);
  Promise.resolve()
    .then(() => services.revokeToken(unseal(session.tokens).refreshToken, abort.signal))
    .catch(() => undefined)
    .finally(() => unrefClock.clearTimeout(timer));
}
