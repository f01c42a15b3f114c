import { describe, expect, it, vi } from 'vitest';
import { AuthError, createAuth } from '../src/index.js';
import type { CredentialsProvider } from '../src/services/types.js';
import { sleep } from './helpers/async.js';
import { fakeServices } from './helpers/fakes.js';
import {
  ALICE,
  alice,
  BOB,
  bob,
  failure,
  hostile,
  instances,
  SECRET,
  signedIn,
} from './helpers/hostile-identity-pool.js';
import { identityPoolEndpoint } from './helpers/identity-pool-endpoint.js';

/**
 * Misusing `createAuth({ credentials })` (rule 5): no provider, after stop(), one
 * identityPool() shared by two instances, a provider that throws or answers garbage.
 */
describe('misuse: typed errors, never a broken instance', () => {
  it('fetchCredentials without credentials: InvalidConfig; after stop(): Cancelled', async () => {
    const plain = createAuth({ services: fakeServices(alice), sync: null });
    instances.push(plain);
    expect((await failure(plain.fetchCredentials())).code).toBe('InvalidConfig');
    const { auth } = await signedIn(hostile(() => undefined).fetch);
    auth.stop();
    expect((await failure(auth.fetchCredentials())).code).toBe('Cancelled');
  });

  it('a provider freed by stop() serves a new createAuth (a remount): it holds nothing of the first', async () => {
    const pool = identityPoolEndpoint();
    const provider = pool.provider();
    const first = createAuth({ services: fakeServices(alice), sync: null, credentials: provider });
    instances.push(first);
    await first.ready;
    await first.signIn(ALICE);
    const ca = await first.fetchCredentials();
    first.stop();
    const second = createAuth({ services: fakeServices(bob), sync: null, credentials: provider });
    instances.push(second);
    await second.ready;
    await second.signIn(BOB);
    const cb = await second.fetchCredentials();
    expect(pool.identities.get(cb.identityId)).toBe('sub-bob');
    expect(cb.secretAccessKey).not.toBe(ca.secretAccessKey);
  });

  // One provider per running instance: another instance's sign-out would clear what it holds.
  it('one identityPool() given to a second createAuth: InvalidConfig (loud), not a silent cross-instance clear', async () => {
    const pool = identityPoolEndpoint();
    const provider = pool.provider();
    const a = createAuth({ services: fakeServices(alice), sync: null, credentials: provider });
    instances.push(a);
    expect(() =>
      instances.push(createAuth({ services: fakeServices(bob), sync: null, credentials: provider })),
    ).toThrow(AuthError);
  });

  // Whatever a provider does (throws at once, answers without a promise), the call rejects, scrubbed.
  it('a provider whose fetchCredentials throws at once, or answers without a promise: still a promise (rejected scrubbed, or the answer as is)', async () => {
    const make = (fetchCredentials: CredentialsProvider['fetchCredentials']) => {
      const provider: CredentialsProvider = {
        allowGuest: false,
        getCredentials: async () => ({}) as never,
        fetchCredentials,
        clear() {},
      };
      const auth = createAuth({ services: fakeServices(alice), sync: null, credentials: provider });
      instances.push(auth);
      return auth;
    };
    const throwing = make(() => {
      throw new Error(`boom ${SECRET}`);
    });
    let result: Promise<unknown> | undefined;
    expect(() => {
      result = throwing.fetchCredentials();
    }).not.toThrow();
    const f = await failure(result as Promise<unknown>);
    expect(f.error).toBeInstanceOf(AuthError);
    const garbage = make(() => 42 as never);
    await expect(garbage.fetchCredentials()).resolves.toBe(42);
  });

  it('a provider resolving garbage: the app gets it as is (the provider is trusted)', async () => {
    const provider: CredentialsProvider = {
      allowGuest: false,
      getCredentials: async () => ({}) as never,
      fetchCredentials: async () => 'garbage' as never,
      clear() {},
    };
    const auth = createAuth({ services: fakeServices(alice), sync: null, credentials: provider });
    instances.push(auth);
    expect(await auth.fetchCredentials()).toBe('garbage');
  });

  /**
   * What authchart re-throws outside the machine (`safely`: a throwing provider or listener must not
   * break it, and must not go unseen either), caught here instead of failing the run as uncaught.
   */
  const catchRethrown = () => {
    const errors: unknown[] = [];
    const queue = globalThis.queueMicrotask;
    const spy = vi.spyOn(globalThis, 'queueMicrotask').mockImplementation((fn) =>
      queue(() => {
        try {
          fn();
        } catch (error) {
          errors.push(error);
        }
      }),
    );
    return { errors, restore: () => spy.mockRestore() };
  };

  /** A provider whose clear() throws the first time only (so afterEach's stop() can still run). */
  const throwingClear = (): CredentialsProvider => {
    let thrown = false;
    return {
      allowGuest: false,
      getCredentials: async () => ({}) as never,
      fetchCredentials: async () => ({}) as never,
      clear() {
        if (thrown) return;
        thrown = true;
        throw new Error('clear failed');
      },
    };
  };

  // A throwing clear() must not stop the sign-out (it runs on the chart's way out of signedIn): the
  // error is re-thrown outside the machine, as a throwing listener's is.
  it('a provider whose clear() throws: signOut() still finishes (complete, signedOut), the error surfaces outside', async () => {
    const surfaced = catchRethrown();
    const auth = createAuth({ services: fakeServices(alice), sync: null, credentials: throwingClear() });
    instances.push(auth);
    await auth.ready;
    await auth.signIn(ALICE);
    const result = await Promise.race([auth.signOut(), sleep(2000).then(() => 'hung' as const)]);
    expect(result).toMatchObject({ status: 'complete' });
    expect(auth.state).toBe('signedOut');
    await vi.waitFor(() => expect(surfaced.errors.map(String)).toEqual(['Error: clear failed']));
    surfaced.restore();
  });

  // Nor stop(): its own clear() of the provider is guarded the same way.
  it('a provider whose clear() throws: stop() does not throw, and a later call is Cancelled', async () => {
    const surfaced = catchRethrown();
    const auth = createAuth({ services: fakeServices(alice), sync: null, credentials: throwingClear() });
    instances.push(auth);
    await auth.ready;
    expect(() => auth.stop()).not.toThrow();
    expect((await failure(auth.fetchCredentials())).code).toBe('Cancelled');
    await vi.waitFor(() => expect(surfaced.errors).toHaveLength(1));
    surfaced.restore();
  });
});
