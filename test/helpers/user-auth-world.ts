/**
 * One set-up for the USER_AUTH and passkey tests: an instance on `authchart/cognito` whose fetch is
 * answered by {@link userAuthEndpoint} (checks codes, SRP proofs and WebAuthn ceremonies), with a
 * software passkey authenticator.
 */
import { afterEach, expect } from 'vitest';
import { cognitoServices } from '../../src/adapters/cognito/index.js';
import { type Auth, createAuth } from '../../src/index.js';
import { jwtClaims } from '../../src/session/jwt.js';
import { fakeFetch } from './fake-cognito-fetch.js';
import { softwareAuthenticator } from './passkey-authenticator.js';
import { makeTokens } from './tokens.js';
import { userAuthEndpoint } from './user-auth-endpoint.js';

export const CLIENT_ID = 'client-ua';
const POOL = 'eu-west-1_AbCdEf123';
const ISSUER = `https://cognito-idp.eu-west-1.amazonaws.com/${POOL}`;
const ORIGIN = 'https://app.example';
export const USERNAME = 'alice@example.com';
export const PASSWORD = 'Correct-Horse-9';

let auths: Auth[] = [];
afterEach(() => {
  for (const auth of auths) auth.stop();
  auths = [];
});

export function userAuthWorld(opts: { passkeys?: boolean; challengeMs?: number } = {}) {
  const endpoint = userAuthEndpoint({
    clientId: CLIENT_ID,
    poolName: POOL.split('_')[1] ?? '',
    rpId: 'app.example',
    origin: ORIGIN,
    users: { [USERNAME]: { password: PASSWORD, userId: 'uuid-alice', email: USERNAME, phone: '+15550001234' } },
    issue: async (username) => {
      const t = makeTokens({ username, clientId: CLIENT_ID, issuer: ISSUER, revocable: true });
      return { AccessToken: t.accessToken, IdToken: t.idToken, RefreshToken: t.refreshToken };
    },
    userOfAccessToken: (token) => {
      const username = jwtClaims(token, 'access token')['username'];
      return typeof username === 'string' ? username : null;
    },
  });
  const f = fakeFetch((call) => endpoint.handle(call.target.split('.')[1] ?? '', call.body));
  const authenticator = softwareAuthenticator(ORIGIN);
  const services = cognitoServices({ clientId: CLIENT_ID, region: 'eu-west-1', userPoolId: POOL, fetch: f.fetch });
  const auth = createAuth({
    services,
    ...(opts.passkeys === false ? {} : { passkeys: authenticator }),
    ...(opts.challengeMs ? { timeouts: { challengeMs: opts.challengeMs } } : {}),
  });
  auths.push(auth);
  const lastCode = () => endpoint.sent.at(-1)?.code ?? '';
  return { endpoint, auth, authenticator, lastCode };
}
export type UserAuthWorld = ReturnType<typeof userAuthWorld>;

/** Registers a passkey for the signed-in user through the endpoint directly, then signs out. */
export async function registerDirectly(w: UserAuthWorld) {
  const { accessToken } = await w.auth.fetchTokens();
  const started = await w.endpoint.handle('StartWebAuthnRegistration', { AccessToken: accessToken });
  const options = (started.body as { CredentialCreationOptions: unknown }).CredentialCreationOptions;
  const credential = await w.authenticator.create(JSON.stringify(options), new AbortController().signal);
  const done = await w.endpoint.handle('CompleteWebAuthnRegistration', {
    AccessToken: accessToken,
    Credential: JSON.parse(credential),
  });
  expect(done.status).toBe(200);
  await w.auth.signOut();
}
