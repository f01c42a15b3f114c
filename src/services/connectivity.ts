import type { Connectivity } from './types.js';

/** Always online: the default where there is no `navigator.onLine` (Node). */
export const alwaysOnline: Connectivity = { isOnline: () => true };

interface NavigatorLike {
  onLine?: boolean;
}
interface EventTargetLike {
  addEventListener(type: string, listener: () => void): void;
  removeEventListener(type: string, listener: () => void): void;
}

/**
 * `navigator.onLine` with `online`/`offline` events where the platform has them, else
 * {@link alwaysOnline}. `navigator.onLine === false` is reliable; `true` only means "maybe",
 * which is why remote steps also have a timeout.
 */
export function defaultConnectivity(scope: unknown = globalThis): Connectivity {
  const g = scope as { navigator?: NavigatorLike } & Partial<EventTargetLike>;
  const nav = g.navigator;
  if (!nav || typeof nav.onLine !== 'boolean') return alwaysOnline;
  return {
    isOnline: () => nav.onLine !== false,
    subscribe(listener) {
      if (typeof g.addEventListener !== 'function' || typeof g.removeEventListener !== 'function') return () => {};
      const online = () => listener(true);
      const offline = () => listener(false);
      g.addEventListener('online', online);
      g.addEventListener('offline', offline);
      return () => {
        g.removeEventListener?.('online', online);
        g.removeEventListener?.('offline', offline);
      };
    },
  };
}

/** A switchable connectivity for tests and for apps with their own network detection. */
export function manualConnectivity(initiallyOnline = true): Connectivity & { set(online: boolean): void } {
  let online = initiallyOnline;
  const listeners = new Set<(online: boolean) => void>();
  return {
    isOnline: () => online,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    set(next) {
      if (next === online) return;
      online = next;
      for (const l of listeners) l(next);
    },
  };
}

/** `isOnline()`, where a throwing one counts as online: the step timeout still bounds every remote call. */
export function safeIsOnline(connectivity: Connectivity): boolean {
  try {
    return connectivity.isOnline();
  } catch {
    return true;
  }
}

/**
 * `subscribe()`, where a throwing one (or its throwing unsubscribe) means no events: the app's
 * connectivity must not put the chart in error or stop `stop()` half-way.
 */
export function safeSubscribe(connectivity: Connectivity, listener: (online: boolean) => void): () => void {
  try {
    const off = connectivity.subscribe?.(listener);
    return () => {
      try {
        off?.();
      } catch {}
    };
  } catch {
    return () => {};
  }
}
