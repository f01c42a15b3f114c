/**
 * The token checks against the embedded Cognito's real tokens (docs/security.md, "Token checks"):
 * with `userPoolId`, `iss` must be the pool's issuer; a pool or client that is not the one the
 * tokens were issued for is refused, and nothing is stored.
 */
import { describe, expect, it } from 'vitest';
import { cognitoServices } from '../../src/adapters/cognito/index.js';
import { createAuth, memoryStorage } from '../../src/index.js';
import { EMBEDDED_ISSUER_DOMAIN } from '../../tools/embedded-cognito.js';
import { ownKeys } from '../helpers/fakes.js';
import { freshPool } from './helpers.js';

describe('token checks on cognito-local tokens', () => {
  it('with userPoolId, the pool issuer is checked: signed in; another pool’s issuer is InvalidToken, nothing stored', async () => {
    const pool = await freshPool();
    const base = {
      clientId: pool.clientId,
      region: 'local',
      authFlow: 'USER_PASSWORD_AUTH' as const,
      endpoint: pool.endpoint,
    };
    const ours = cognitoServices({ ...base, userPoolId: pool.userPoolId });
    expect(ours.issuer).toBe(`${EMBEDDED_ISSUER_DOMAIN}/${pool.userPoolId}`);
    const auth = createAuth({ services: ours, sync: null });
    await expect(auth.signIn({ username: pool.username, password: pool.password })).resolves.toEqual({
      status: 'signedIn',
    });
    await expect(auth.fetchTokens({ forceRefresh: true })).resolves.toHaveProperty('accessToken');
    auth.stop();

    const storage = memoryStorage();
    const other = createAuth({
      services: cognitoServices({ ...base, userPoolId: 'local_Another1' }),
      storage,
      sync: null,
    });
    const error = await other.signIn({ username: pool.username, password: pool.password }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'InvalidToken', message: expect.stringMatching(/another issuer/) });
    expect(ownKeys(storage, pool.clientId)).toEqual([]);
    other.stop();
  });
});
