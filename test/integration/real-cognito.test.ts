import { describe, expect, it } from 'vitest';
import { cognitoServices as fetchServices } from '../../src/adapters/cognito/index.js';
import { cognitoServices as sdkServices } from '../../src/adapters/cognito-sdk.js';
import { createAuth, isAuthError, memoryStorage } from '../../src/index.js';

/**
 * Opt-in: runs against a real AWS user pool when these are set. The app client must be public,
 * allow USER_SRP_AUTH and REFRESH_TOKEN_AUTH, and have token revocation enabled. Sign-in is SRP
 * (the default), on both transports.
 */
const env = {
  clientId: process.env['AUTHCHART_COGNITO_CLIENT_ID'],
  region: process.env['AUTHCHART_COGNITO_REGION'],
  userPoolId: process.env['AUTHCHART_COGNITO_USER_POOL_ID'],
  username: process.env['AUTHCHART_COGNITO_USERNAME'],
  password: process.env['AUTHCHART_COGNITO_PASSWORD'],
};
const configured = Object.values(env).every((v) => typeof v === 'string' && v.length > 0);
if (!configured) {
  console.info(
    '[authchart] real-Cognito suite skipped: set AUTHCHART_COGNITO_CLIENT_ID, AUTHCHART_COGNITO_REGION, ' +
      'AUTHCHART_COGNITO_USER_POOL_ID, AUTHCHART_COGNITO_USERNAME and AUTHCHART_COGNITO_PASSWORD to run it.',
  );
}

describe.skipIf(!configured).each([
  ['authchart/cognito (fetch)', fetchServices],
  ['authchart/cognito-sdk', sdkServices],
])('against a real AWS Cognito user pool, %s', (_name, cognitoServices) => {
  const services = () => cognitoServices({ clientId: env.clientId!, region: env.region!, userPoolId: env.userPoolId! });
  const make = () => createAuth({ services: services(), storage: memoryStorage() });

  it('SRP sign-in; local sign-out revokes (origin_jti present) and the refresh token is dead', async () => {
    const auth = make();
    await auth.signIn({ username: env.username!, password: env.password! });
    expect(auth.getSession()?.revocable).toBe(true);
    const tokens = auth.getTokens()!;
    const result = await auth.signOut();
    expect(result).toMatchObject({ status: 'complete', steps: { revokeToken: 'done' } });
    const after = await services()
      .refresh(tokens.refreshToken, new AbortController().signal)
      .catch((e: unknown) => e);
    expect(isAuthError(after, 'NotAuthorized')).toBe(true);
  });

  it('a wrong password over SRP is NotAuthorized', async () => {
    const error = await services()
      .signIn({ username: env.username!, password: `${env.password}-wrong` }, new AbortController().signal)
      .catch((e: unknown) => e);
    expect(isAuthError(error, 'NotAuthorized')).toBe(true);
  });

  it('global sign-out is complete and skips the redundant revocation', async () => {
    const auth = make();
    await auth.signIn({ username: env.username!, password: env.password! });
    const result = await auth.signOut({ global: true });
    expect(result).toMatchObject({ status: 'complete', steps: { globalSignOut: 'done', revokeToken: 'notRun' } });
  });
});
