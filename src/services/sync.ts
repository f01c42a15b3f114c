import type { SessionSync, SessionSyncFactory, SyncMessage } from './types.js';

function isSyncMessage(value: unknown): value is SyncMessage {
  const type = (value as { type?: unknown } | null)?.type;
  return type === 'signedIn' || type === 'signedOut';
}

export interface BroadcastChannelLike {
  postMessage(message: unknown): void;
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
  removeEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
  close(): void;
}
export type BroadcastChannelCtor = new (name: string) => BroadcastChannelLike;

/** Cross-tab sync over `BroadcastChannel` (every modern browser; also Node workers). */
export function broadcastChannelSync(
  Channel: BroadcastChannelCtor = (globalThis as { BroadcastChannel?: BroadcastChannelCtor })
    .BroadcastChannel as BroadcastChannelCtor,
): SessionSyncFactory {
  return (name) => {
    const channel = new Channel(name);
    return {
      publish: (message) => channel.postMessage(message),
      subscribe(listener) {
        const onMessage = (event: { data: unknown }) => {
          if (isSyncMessage(event.data)) listener(event.data);
        };
        channel.addEventListener('message', onMessage);
        return () => channel.removeEventListener('message', onMessage);
      },
      close: () => channel.close(),
    };
  };
}

export interface StorageEventLike {
  key: string | null;
  newValue: string | null;
}
export interface WindowLike {
  addEventListener(type: 'storage', listener: (event: StorageEventLike) => void): void;
  removeEventListener(type: 'storage', listener: (event: StorageEventLike) => void): void;
}

/**
 * Fallback for browsers without BroadcastChannel: the `storage` event, which other tabs of the
 * origin receive when `localStorage` changes. It watches the session record, which a sign-in or
 * refresh writes in one step and a sign-out removes (a hint: the tab then reads storage).
 * Publishing is the storage write itself.
 */
export function storageEventSync(target: WindowLike): SessionSyncFactory {
  return (name) => ({
    publish: () => {},
    subscribe(listener) {
      const key = `${name}.session`;
      const onStorage = (event: StorageEventLike) => {
        // key === null: another tab called localStorage.clear().
        if (event.key !== null && event.key !== key) return;
        listener({ type: event.newValue === null ? 'signedOut' : 'signedIn' });
      };
      target.addEventListener('storage', onStorage);
      return () => target.removeEventListener('storage', onStorage);
    },
  });
}

/** Several channels as one: publishes on each, listens to all. */
export function combinedSync(...factories: SessionSyncFactory[]): SessionSyncFactory {
  return (name) => {
    const syncs = factories.map((f) => f(name));
    return {
      publish: (message) => {
        for (const s of syncs) s.publish(message);
      },
      subscribe(listener) {
        const offs = syncs.map((s) => s.subscribe(listener));
        return () => {
          for (const off of offs) off();
        };
      },
      close: () => {
        for (const s of syncs) s.close?.();
      },
    };
  };
}

/**
 * The browser default: BroadcastChannel and the storage event together; none outside a browser.
 * BroadcastChannel is immediate, but `localStorage` reaches other tabs asynchronously, so a
 * "signed in" message can arrive before the tokens are readable there; the storage event fires
 * once they are, and the second look finds them.
 */
export function defaultSync(scope: unknown = globalThis): SessionSyncFactory | null {
  const g = scope as { window?: unknown; BroadcastChannel?: BroadcastChannelCtor } & Partial<WindowLike>;
  if (typeof g.window === 'undefined') return null;
  const factories: SessionSyncFactory[] = [];
  if (typeof g.BroadcastChannel === 'function') factories.push(broadcastChannelSync(g.BroadcastChannel));
  if (typeof g.addEventListener === 'function') factories.push(storageEventSync(g as WindowLike));
  return factories.length === 0 ? null : combinedSync(...factories);
}

/** An in-process bus: each `connect` is one "tab". For Node apps and tests. */
export function memorySyncBus(): { connect: SessionSyncFactory } {
  const channels = new Map<string, Set<(m: SyncMessage) => void>>();
  return {
    connect(name) {
      const peers = channels.get(name) ?? new Set();
      channels.set(name, peers);
      const own = new Set<(m: SyncMessage) => void>();
      return {
        publish(message) {
          for (const deliver of peers) if (!own.has(deliver)) queueMicrotask(() => deliver(message));
        },
        subscribe(listener) {
          const deliver = (m: SyncMessage) => listener(m);
          own.add(deliver);
          peers.add(deliver);
          return () => {
            own.delete(deliver);
            peers.delete(deliver);
          };
        },
        close() {
          for (const d of own) peers.delete(d);
          own.clear();
        },
      } satisfies SessionSync;
    },
  };
}
