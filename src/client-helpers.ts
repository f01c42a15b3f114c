import { AuthError } from './errors.js';
import type { Credentials } from './services/types.js';

export { revokeOnStop, unrefClock } from './machines/slots.shared.js';

/** Small helpers of the public wrapper (`auth.ts`). */

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

/** `signIn()`'s input, checked before anything is sent. */
export function assertCredentials(input: Credentials): void {
  if (!input || typeof input.username !== 'string' || input.username.trim() === '') {
    throw new AuthError('InvalidInput', 'username must be a non-empty string');
  }
  if (typeof input.password !== 'string' || input.password === '') {
    throw new AuthError('InvalidInput', 'password must be a non-empty string');
  }
  if (input.authFlow !== undefined && input.authFlow !== 'USER_SRP_AUTH' && input.authFlow !== 'USER_PASSWORD_AUTH') {
    throw new AuthError('InvalidInput', 'authFlow must be "USER_SRP_AUTH" or "USER_PASSWORD_AUTH"');
  }
}
