/**
 * `authchart/vue`: a composable over the subscribable core (Vue 3).
 *
 * ```ts
 * const auth$ = useAuth(auth); // auth$.value.status, auth$.value.session
 * ```
 */
import { getCurrentScope, onScopeDispose, type ShallowRef, shallowRef } from 'vue';
import type { Auth, AuthSnapshot } from '../auth.js';

/** A shallow ref holding the current {@link AuthSnapshot}; unsubscribes when the component or scope is disposed. */
export function useAuth(auth: Auth): Readonly<ShallowRef<AuthSnapshot>> {
  const snapshot = shallowRef(auth.getSnapshot());
  const unsubscribe = auth.subscribe(() => {
    snapshot.value = auth.getSnapshot();
  });
  if (getCurrentScope()) onScopeDispose(unsubscribe);
  return snapshot;
}
