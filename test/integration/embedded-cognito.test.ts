import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cognitoServices } from '../../src/adapters/cognito/index.js';
import { createAuth, memoryStorage } from '../../src/index.js';
import { startEmbeddedCognito } from '../../src/testing/index.js';

describe('startEmbeddedCognito: cognito-local with a pool, an app client and users', () => {
  it('signs a user in and out through authchart/cognito, checking the issuer it names; stop() ends it all', async () => {
    const cognito = await startEmbeddedCognito({
      users: {
        'alice@example.com': 'Correct-Horse-9',
        'newcomer@example.com': { password: 'Temp-Pass-1', temporary: true },
      },
    });
    const { endpoint, dataDir } = cognito;
    try {
      expect(endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(cognito.issuer).toBe(`https://cognito-idp.local.amazonaws.com/${cognito.userPoolId}`);
      const auth = createAuth({
        services: cognitoServices({
          clientId: cognito.clientId,
          region: cognito.region,
          userPoolId: cognito.userPoolId,
          endpoint,
          authFlow: 'USER_PASSWORD_AUTH',
        }),
        storage: memoryStorage(),
        sync: null,
        revocation: 'always',
      });
      await auth.signIn({ username: 'alice@example.com', password: 'Correct-Horse-9' });
      expect(auth.getSnapshot().status).toBe('signedIn');
      expect(await auth.signOut()).toMatchObject({ status: 'complete', steps: { revokeToken: 'done' } });

      expect(await auth.signIn({ username: 'newcomer@example.com', password: 'Temp-Pass-1' })).toMatchObject({
        status: 'challenge',
        challenge: 'newPassword',
      });
      expect(await auth.confirmSignIn('Brand-New-Pass-2')).toEqual({ status: 'signedIn' });
      auth.stop();

      await cognito.addUser('bob@example.com', 'Another-Pass-3');
      const listed = await cognito.call('ListUsers', { UserPoolId: cognito.userPoolId });
      expect((listed['Users'] as unknown[]).length).toBe(3);
      await expect(
        cognito.call('AdminGetUser', { UserPoolId: cognito.userPoolId, Username: 'nobody' }),
      ).rejects.toMatchObject({
        code: 'Service',
        serviceName: 'UserNotFoundException',
      });
    } finally {
      await cognito.stop();
    }
    expect(existsSync(dataDir)).toBe(false);
    await expect(fetch(`${endpoint}/health`)).rejects.toThrow();
  });
});
