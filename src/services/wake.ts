import type { WakeSource } from './types.js';

interface DocumentLike {
  visibilityState?: string;
  addEventListener(type: 'visibilitychange', listener: () => void): void;
  removeEventListener(type: 'visibilitychange', listener: () => void): void;
}

/**
 * The browser default: the page becoming visible (`visibilitychange`). A tab in the background
 * or a laptop asleep runs no timers, so the refresh timer may fire after the token expired; the
 * page coming back is the moment to check. `null` where there is no `document` (Node).
 */
export function defaultWake(scope: unknown = globalThis): WakeSource | null {
  const doc = (scope as { document?: DocumentLike }).document;
  if (!doc || typeof doc.addEventListener !== 'function') return null;
  return {
    subscribe(listener) {
      const onChange = () => {
        if (doc.visibilityState === 'visible') listener();
      };
      doc.addEventListener('visibilitychange', onChange);
      return () => doc.removeEventListener('visibilitychange', onChange);
    },
  };
}
