/**
 * `authchart/react`: a thin hook over the subscribable core (React 18+).
 *
 * ```tsx
 * const { status, session } = useAuth(auth);
 * ```
 */
import { useSyncExternalStore } from 'react';
import type { Auth, AuthSnapshot } from '../auth.js';

/** The current {@link AuthSnapshot}; re-renders when the state or session changes. */
export function useAuth(auth: Auth): AuthSnapshot {
  return useSyncExternalStore(auth.subscribe, auth.getSnapshot, auth.getSnapshot);
}
