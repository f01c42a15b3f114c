/**
 * The one set-up of the `auth.fetchCredentials()` tests: two users' tokens and credentials, an
 * instance over fake services and the fake identity pool (`identity-pool-endpoint.ts`), stopped
 * after each test.
 */
import { afterEach, expect, vi } from 'vitest';
import { type Auth, type CreateAuthOptions, createAuth } from '../../src/index.js';
import { sleep } from './async.js';
import { fakeServices } from './fakes.js';
import { identityPoolEndpoint } from './identity-pool-endpoint.js';
import { makeTokens } from './tokens.js';

export const alice = makeTokens({ username: 'alice', sub: 'sub-alice' });
export const bob = makeTokens({ username: 'bob', sub: 'sub-bob' });
export const ALICE = { username: 'alice', password: 'correct horse' };
export const BOB = { username: 'bob', password: 'correct horse' };
export const GET_ID = 'AWSCognitoIdentityService.GetId';
export const GET_CREDS = 'AWSCognitoIdentityService.GetCredentialsForIdentity';

/** Stopped after each test (the afterEach below is registered by each file importing this one). */
export const instances: Auth[] = [];
afterEach(() => {
  for (const a of instances.splice(0)) a.stop();
  vi.useRealTimers();
  vi.restoreAllMocks();
});

/** An instance signed out, alice's fake services, a fake identity pool (`allowGuest` as given). */
export function credentialsWorld(
  opts: {
    allowGuest?: boolean;
    auth?: Partial<CreateAuthOptions>;
    pool?: ReturnType<typeof identityPoolEndpoint>;
  } = {},
) {
  const pool = opts.pool ?? identityPoolEndpoint();
  const services = fakeServices(alice);
  const auth = createAuth({
    services,
    sync: null,
    credentials: pool.provider({ allowGuest: opts.allowGuest === true }),
    ...opts.auth,
  });
  instances.push(auth);
  return { auth, pool, services };
}

/** Waits (5 ms steps, 2 s at most) until `check()` holds, and asserts it does. */
export async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !check(); i++) await sleep(5);
  expect(check()).toBe(true);
}
