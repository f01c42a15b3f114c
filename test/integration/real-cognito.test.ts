import { describe, expect, it } from 'vitest';
import { createAuth, isAuthError, memoryStorage } from '../../src/index.js';
import { cognitoServices } from '../../src/services/cognito.js';

/**
 * Opt-in: runs against a real AWS user pool when these are set. The app client must be public,
 * allow USER_PASSWORD_AUTH and REFRESH_TOKEN_AUTH, and have token revocation enabled.
 */
const env = {
  clientId: process.env['AUTHCHART_COGNITO_CLIENT_ID'],
  region: process.env['AUTHCHART_COGNITO_REGION'],
  username: process.env['AUTHCHART_COGNITO_USERNAME'],
  password: process.env['AUTHCHART_COGNITO_PASSWORD'],
};
const configured = Object.values(env).every((v) => typeof v === 'string' && v.length > 0);
if (!configured) {
  console.info(
    '[authchart] real-Cognito suite skipped: set AUTHCHART_COGNITO_CLIENT_ID, AUTHCHART_COGNITO_REGION, ' +
      'AUTHCHART_COGNITO_USERNAME and AUTHCHART_COGNITO_PASSWORD to run it.',
  );
}

describe.skipIf(!configured)('against a real AWS Cognito user pool', () => {
  const make = () =>
    createAuth({
      services: cognitoServices({ clientId: env.clientId!, region: env.region! }),
      storage: memoryStorage(),
    });

  it('local sign-out revokes (origin_jti present) and the refresh token is dead', async () => {
    const auth = make();
    await auth.signIn({ username: env.username!, password: env.password! });
    expect(auth.getSession()?.revocable).toBe(true);
    const tokens = auth.getTokens()!;
    const result = await auth.signOut();
    expect(result).toMatchObject({ status: 'complete', steps: { revokeToken: 'done' } });
    const services = cognitoServices({ clientId: env.clientId!, region: env.region! });
    const after = await services.refresh(tokens.refreshToken, new AbortController().signal).catch((e: unknown) => e);
    expect(isAuthError(after, 'NotAuthorized')).toBe(true);
  });

  it('global sign-out is complete and skips the redundant revocation', async () => {
    const auth = make();
    await auth.signIn({ username: env.username!, password: env.password! });
    const result = await auth.signOut({ global: true });
    expect(result).toMatchObject({ status: 'complete', steps: { globalSignOut: 'done', revokeToken: 'notRun' } });
  });
});
