import { vi } from 'vitest';
import { AuthError, type CreateAuthOptions, createAuth, memoryStorage } from '../../src/index.js';
import { fakeServices } from './fakes.js';
import { makeTokens, tokenStrings } from './tokens.js';

export const PASSWORD = 'Sup3r-Secret-Passw0rd';

/**
 * Every flow the machine has, on fake services and fake timers: sign-in, refresh, local sign-out,
 * sign-in, global sign-out falling back to revocation, hosted UI sign-out, offline sign-out,
 * a failed clear. Returns every secret that went through it.
 */
export async function runAllFlows(extra: Partial<CreateAuthOptions>): Promise<{ secrets: string[] }> {
  // Timers and Date only: sockets (an inspector's WebSocket) keep their real setImmediate/nextTick.
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
  vi.setSystemTime(new Date('2026-01-01T00:00:00Z'));
  try {
    const first = makeTokens({ expiresIn: 120 });
    const refreshed = makeTokens({ expiresIn: 120 });
    const rotated = makeTokens({ expiresIn: 3600 });
    const services = fakeServices(first);
    services.script.refresh = { ok: { accessToken: refreshed.accessToken, idToken: refreshed.idToken } };
    const storage = memoryStorage();
    let online = true;
    const auth = createAuth({ services, storage, connectivity: { isOnline: () => online }, ...extra });
    await auth.ready;

    await auth.signIn({ username: 'alice@example.com', password: PASSWORD });
    await vi.advanceTimersByTimeAsync(61_000); // refresh
    await auth.signOut(); // local: revoke + clear

    services.script.signIn = { ok: rotated };
    await auth.signIn({ username: 'alice@example.com', password: PASSWORD });
    services.script.globalSignOut = { error: new AuthError('Service', `HTTP 500 for ${rotated.accessToken}`) };
    await auth.signOut({ global: true }); // global fails → revoke → clear

    await auth.adoptSession(first, { signedInWith: 'hostedUI' });
    await auth.signOut(); // hosted UI → revoke → clear

    await auth.signIn({ username: 'alice@example.com', password: PASSWORD });
    online = false;
    await auth.signOut({ global: true }); // offline
    online = true;

    await auth.signIn({ username: 'alice@example.com', password: PASSWORD });
    const remove = storage.removeItem;
    storage.removeItem = () => {
      throw new Error('disk full');
    };
    await auth.signOut(); // clear fails → still signed in
    storage.removeItem = remove;
    await auth.signOut();

    await vi.advanceTimersByTimeAsync(100);
    auth.stop();
    return { secrets: [...tokenStrings([first, refreshed, rotated]), PASSWORD] };
  } finally {
    vi.useRealTimers();
  }
}
