/**
 * `authchart/svelte`: the Svelte store contract over the subscribable core. Needs no Svelte
 * import: any `{ subscribe }` with this shape is a store (Svelte 3, 4 and 5).
 *
 * ```svelte
 * <script>const auth$ = authStore(auth);</script>
 * {#if $auth$.status === 'signedIn'}<button onclick={() => auth.signOut()}>Sign out</button>{/if}
 * ```
 */
import type { Auth, AuthSnapshot } from '../auth.js';

/** A readable Svelte store of the current {@link AuthSnapshot}. */
export interface AuthStore {
  subscribe(run: (value: AuthSnapshot) => void): () => void;
}

/** Wraps an {@link Auth} as a readable Svelte store. */
export function authStore(auth: Auth): AuthStore {
  return {
    subscribe(run) {
      run(auth.getSnapshot());
      return auth.subscribe(() => run(auth.getSnapshot()));
    },
  };
}
