import { describe, expect, it } from 'vitest';
import { redisStorage, redisSync } from '../../src/bindings/redis.js';
import { createAuth, type SyncMessage } from '../../src/index.js';
import { hasRedis } from '../../tools/embedded-redis.js';
import { sleep } from '../helpers/async.js';
import { fakeServices } from '../helpers/fakes.js';
import { makeTokens, tokenStrings } from '../helpers/tokens.js';
import { type Client, useEmbeddedRedis } from './embedded.js';

const settle = () => sleep(100);

describe.skipIf(!hasRedis('redisSync'))('redisSync on a real redis-server', () => {
  const redis = useEmbeddedRedis();
  /** One client per simulated process. */
  const { connect } = redis;
  const subscriberCount = async (c: Client) =>
    (await c.sendCommand(['CLIENT', 'LIST', 'TYPE', 'pubsub']))?.toString().split('\n').filter(Boolean).length ?? 0;

  it('delivers to the other participants, never back to the sender, and only on its own prefix', async () => {
    const [p1, p2] = [await connect(), await connect()];
    const a = redisSync(p1, { prefix: 's1:one:' })('authchart.c');
    const b = redisSync(p2, { prefix: 's1:one:' })('authchart.c');
    const other = redisSync(p2, { prefix: 's1:two:' })('authchart.c');
    const got = { a: [] as SyncMessage[], b: [] as SyncMessage[], other: [] as SyncMessage[] };
    a.subscribe((m) => got.a.push(m));
    b.subscribe((m) => got.b.push(m));
    other.subscribe((m) => got.other.push(m));
    await Promise.all([a.whenSubscribed(), b.whenSubscribed(), other.whenSubscribed()]);

    a.publish({ type: 'signedOut' });
    b.publish({ type: 'signedIn' });
    await expect.poll(() => got.b).toEqual([{ type: 'signedOut' }]);
    await expect.poll(() => got.a).toEqual([{ type: 'signedIn' }]);
    await settle();
    expect(got).toEqual({ a: [{ type: 'signedIn' }], b: [{ type: 'signedOut' }], other: [] });
    for (const s of [a, b, other]) s.close?.();
  });

  it('two participants in one process (same client) still hear each other but not themselves', async () => {
    const p = await connect();
    const factory = redisSync(p, { prefix: 's2:' });
    const [a, b] = [factory('ch'), factory('ch')];
    const got = { a: 0, b: 0 };
    a.subscribe(() => got.a++);
    b.subscribe(() => got.b++);
    await Promise.all([a.whenSubscribed(), b.whenSubscribed()]);
    a.publish({ type: 'signedOut' });
    await expect.poll(() => got.b).toBe(1);
    await settle();
    expect(got).toEqual({ a: 0, b: 1 });
    a.close?.();
    b.close?.();
  });

  it('messages on the wire carry the event and a participant id only; junk is ignored', async () => {
    const p = await connect();
    const raw: string[] = [];
    const spy = p.duplicate();
    spy.on('error', () => {});
    redis.track(spy);
    await spy.connect();
    await spy.subscribe('s3:authchart.c', (m) => raw.push(m));
    const s = redisSync(p, { prefix: 's3:' })('authchart.c');
    const heard: SyncMessage[] = [];
    s.subscribe((m) => heard.push(m));
    await s.whenSubscribed();
    s.publish({ type: 'signedOut' });
    await p.publish('s3:authchart.c', 'not json');
    await p.publish('s3:authchart.c', JSON.stringify({ type: 'steal', from: 'x' }));
    await expect.poll(() => raw.length).toBe(3);
    expect(Object.keys(JSON.parse(raw[0] ?? '{}')).sort()).toEqual(['from', 'type']);
    await settle();
    expect(heard).toEqual([]);
    s.close?.();
  });

  it('shares one subscriber connection per client and closes it with its last participant', async () => {
    const p = await connect();
    const before = await subscriberCount(p);
    const factory = redisSync(p, { prefix: 's4:' });
    const syncs = Array.from({ length: 5 }, (_, i) => factory(`ch${i}`));
    const offs = syncs.map((s) => s.subscribe(() => {}));
    await Promise.all(syncs.map((s) => s.whenSubscribed()));
    expect(await subscriberCount(p)).toBe(before + 1);
    for (const off of offs) off();
    await expect.poll(() => subscriberCount(p)).toBe(before);
  });

  it('an instance in another "process" follows a sign-out with no Cognito call, and restores after a sign-in', async () => {
    const tokens = makeTokens({ username: 'dana@example.com' });
    const [pa, pb] = [await connect(), await connect()];
    const prefix = 's5:session:';
    const servicesA = fakeServices(tokens);
    const servicesB = fakeServices(tokens);
    const syncB = redisSync(pb, { prefix });
    let participantB: ReturnType<typeof syncB> | undefined;
    const a = createAuth({
      services: servicesA,
      storage: redisStorage(pa, { prefix }),
      sync: redisSync(pa, { prefix }),
    });
    const b = createAuth({
      services: servicesB,
      storage: redisStorage(pb, { prefix }),
      sync: (name) => {
        participantB = syncB(name);
        return participantB;
      },
    });
    await Promise.all([a.ready, b.ready, participantB?.whenSubscribed()]);
    await a.signIn({ username: 'dana@example.com', password: 'pw' });
    await expect.poll(() => b.state).toBe('signedIn.waitingToRefresh');
    expect(b.getTokens()).toEqual(tokens);

    const result = await a.signOut();
    expect(result.status).toBe('complete');
    await expect.poll(() => b.state).toBe('signedOut');
    expect(servicesB.calls).toMatchObject({ signIn: [], refresh: [], revokeToken: [], globalSignOut: [] });
    expect(await pa.keys(`${prefix}*`)).toEqual([]);
    // Nothing secret was ever published: a raw subscriber would only have seen event names.
    expect(tokenStrings([tokens]).some((t) => JSON.stringify(result).includes(t))).toBe(false);
    a.stop();
    b.stop();
  });

  it('keeps delivering after Redis restarts (the subscriber connection re-subscribes)', async () => {
    const [p1, p2] = [await connect(), await connect()];
    const a = redisSync(p1, { prefix: 's6:' })('ch');
    const b = redisSync(p2, { prefix: 's6:' })('ch');
    const got: SyncMessage[] = [];
    b.subscribe((m) => got.push(m));
    await b.whenSubscribed();
    await redis.server().down();
    await redis.server().up();
    await expect.poll(() => p1.isReady && p2.isReady, { timeout: 5000 }).toBe(true);
    // The subscriber reconnects on its own schedule: publish until it hears.
    await expect
      .poll(
        () => {
          a.publish({ type: 'signedOut' });
          return got.length;
        },
        { timeout: 5000, interval: 100 },
      )
      .toBeGreaterThan(0);
    expect(got[0]).toEqual({ type: 'signedOut' });
    a.close?.();
    b.close?.();
  });
});
