import { describe, expect, it } from 'vitest';
import { createAuth, memoryStorage, memorySyncBus } from '../src/index.js';
import { sleep } from './helpers/async.js';
import { fakeServices } from './helpers/fakes.js';
import { readRecord } from './helpers/records.js';
import { makeTokens } from './helpers/tokens.js';

const tick = () => sleep(10);

/** A signed-in context on a shared storage and bus, and a third participant that can say anything. */
async function setup() {
  const storage = memoryStorage();
  const bus = memorySyncBus();
  const services = fakeServices(makeTokens({ username: 'alice@example.com' }));
  const auth = createAuth({ services, storage, sync: bus.connect });
  await auth.ready;
  await auth.signIn({ username: 'alice@example.com', password: 'pw' });
  const stranger = bus.connect('authchart.client123');
  return { auth, storage, bus, services, stranger };
}

describe('a sign-out message is a hint: storage is the truth (docs/sign-out.md row 17)', () => {
  it('a stale or forged message, while storage still holds this session, changes nothing', async () => {
    const { auth, stranger, services } = await setup();
    stranger.publish({ type: 'signedOut' });
    await tick();
    expect(auth.state).toBe('signedIn.waitingToRefresh');
    expect(auth.getSession()?.username).toBe('alice@example.com');
    expect(services.calls.revokeToken).toHaveLength(0);
    auth.stop();
  });

  it('storage holding another session (a newer sign-in elsewhere) is adopted, and nothing is cleared', async () => {
    const { auth, storage, stranger } = await setup();
    const other = createAuth({
      services: fakeServices(makeTokens({ username: 'zoe@example.com' })),
      storage,
      sync: null,
    });
    await other.ready; // restores alice: sign her out locally with no clear, then sign in as zoe
    await other.signOut();
    await other.signIn({ username: 'zoe@example.com', password: 'pw' });
    stranger.publish({ type: 'signedOut' });
    await tick();
    expect(auth.getSession()?.username).toBe('zoe@example.com');
    expect(other.getSession()?.username).toBe('zoe@example.com');
    expect(await readRecord(storage)).toMatchObject({ accessToken: expect.any(String) });
    expect(auth.getTokens()?.refreshToken).toBe((await readRecord(storage))?.refreshToken);
    auth.stop();
    other.stop();
  });

  it('an empty storage is followed: signed out, reason otherTab, with no remote call', async () => {
    const { auth, storage, stranger, services } = await setup();
    const reasons: string[] = [];
    auth.on('signedOut', ({ reason }) => reasons.push(reason));
    for (const key of storage.keys()) storage.removeItem(key);
    stranger.publish({ type: 'signedOut' });
    await tick();
    expect(auth.state).toBe('signedOut');
    expect(reasons).toEqual(['otherTab']);
    expect(services.calls.revokeToken).toHaveLength(0);
    auth.stop();
  });
});
