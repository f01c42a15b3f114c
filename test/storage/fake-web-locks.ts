/**
 * A stand-in for the browser's `navigator.locks` (exclusive mode only), shared by every "tab" of a
 * test: Node 20 has none, and without it `withStorageLock` falls back to a lock per storage object,
 * which two tabs (two `webStorage` handles on one localStorage) do not share.
 */
type Callback<T> = () => Promise<T>;

/**
 * Returns a minimal LockManager: `request(name, cb)` runs `cb` when every earlier request for `name` has settled.
 *
 * @example
 * vi.stubGlobal('navigator', { locks: fakeWebLocks() });
 */
export function fakeWebLocks(): { request<T>(name: string, callback: Callback<T>): Promise<T> } {
  const tails = new Map<string, Promise<unknown>>();
  return {
    request<T>(name: string, callback: Callback<T>): Promise<T> {
      const tail = tails.get(name) ?? Promise.resolve();
      const run = tail.then(() => callback());
      const settled = run.catch(() => undefined);
      tails.set(name, settled);
      void settled.then(() => {
        if (tails.get(name) === settled) tails.delete(name);
      });
      return run;
    },
  };
}
