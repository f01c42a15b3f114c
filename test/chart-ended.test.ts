/**
 * A chart that ended in error (a bug, or a hostile dependency such as a clock that throws where the
 * chart reads it) answers every later call at once, as a stopped one does: nothing waits for ever on
 * an actor that can no longer answer.
 */
import { expect, it } from 'vitest';
import { createAuth, isAuthError, memoryStorage } from '../src/index.js';
import { fakeServices } from './helpers/fakes.js';

it('after the chart ended in error, signOut() settles as cancelled and the other calls reject Cancelled', async () => {
  let broken = false;
  const clock = {
    now: () => {
      if (broken) throw new Error('clock broke');
      return Date.now();
    },
  };
  const auth = createAuth({ services: fakeServices(), storage: memoryStorage(), sync: null, clock });
  await auth.ready;
  await auth.signIn({ username: 'alice@example.com', password: 'correct horse' });
  broken = true;
  // The chart reads the clock when it schedules the next refresh check.
  auth.actor.send({ type: 'WAKE' });
  await expect.poll(() => auth.actor.getSnapshot().status).toBe('error');
  const settled = await Promise.race([
    Promise.allSettled([auth.signOut(), auth.fetchTokens(), auth.retryDeferredRevocations()]),
    new Promise((resolve) => setTimeout(() => resolve('a call was never answered'), 2_000)),
  ]);
  expect(settled).not.toBe('a call was never answered');
  const [signOut, ...others] = settled as PromiseSettledResult<unknown>[];
  expect(signOut).toMatchObject({ status: 'fulfilled', value: { status: 'failed' } });
  for (const r of others) {
    expect(r.status).toBe('rejected');
    expect(isAuthError((r as PromiseRejectedResult).reason, 'Cancelled')).toBe(true);
  }
  auth.stop();
});
