/**
 * `startEmbeddedCognito()`: a real Cognito API on this machine for an app's integration tests:
 * cognito-local on 127.0.0.1 with a user pool, a public app client and users.
 */
import { AuthError } from '../errors.js';
import { cognitoCall, EMBEDDED_ISSUER_DOMAIN, EMBEDDED_REGION, startCognitoLocal } from './cognito-local.js';
import type { TestUser } from './fake-pool.js';

/** Options of {@link startEmbeddedCognito}. */
export interface EmbeddedCognitoOptions {
  /**
   * Users to create, confirmed: username → password, or a {@link TestUser}. Default none.
   * cognito-local's pools take e-mail addresses as usernames (and its tokens name the user by `sub`).
   */
  users?: Record<string, string | TestUser>;
  /** Lifetime of the access and ID tokens, in seconds (Cognito's minimum is 300; cognito-local takes less). Default 3600. */
  accessTokenValiditySeconds?: number;
  /** How long cognito-local may take to start, in ms. Default 20000. */
  startTimeoutMs?: number;
}

/** A running embedded Cognito; {@link EmbeddedCognito.stop} ends it and removes its data. */
export interface EmbeddedCognito {
  /** `http://127.0.0.1:<port>`: `cognitoServices({ endpoint })` (from `authchart/cognito`). */
  readonly endpoint: string;
  /** `local` */
  readonly region: string;
  /** `local_…` */
  readonly userPoolId: string;
  /** A public app client (no secret) allowing USER_PASSWORD_AUTH and refresh, with token revocation. */
  readonly clientId: string;
  /** The issuer its tokens carry: `https://cognito-idp.local.amazonaws.com/<userPoolId>`. */
  readonly issuer: string;
  /** Its temp data directory. */
  readonly dataDir: string;
  /** Everything cognito-local printed so far: the codes it "sends" by SMS or e-mail appear here. */
  output(): string;
  /** Creates a user in the pool, confirmed (or, `temporary`, in FORCE_CHANGE_PASSWORD). */
  addUser(username: string, user: string | TestUser): Promise<void>;
  /** Any other Cognito API call, by its name (`AdminGetUser`, `ListUsers`, …): its JSON answer. */
  call(operation: string, input: Record<string, unknown>): Promise<Record<string, unknown>>;
  /** Stops the server and removes its data directory. */
  stop(): Promise<void>;
}

/**
 * Starts cognito-local (an optional peer dependency: `npm i -D cognito-local`) on a free port of
 * 127.0.0.1 with a fresh pool, app client and `users`. Node only. cognito-local has no SRP: sign in
 * with `authFlow: 'USER_PASSWORD_AUTH'`; its tokens carry no `origin_jti`, so ask for
 * `revocation: 'always'` to see RevokeToken run. Without cognito-local it rejects with
 * `InvalidConfig`.
 *
 * @example
 * ```ts
 * import { startEmbeddedCognito } from 'authchart/testing';
 *
 * const cognito = await startEmbeddedCognito({ users: { 'alice@example.com': 'Correct-Horse-9' } });
 * try {
 *   // cognitoServices({ clientId: cognito.clientId, region: cognito.region, endpoint: cognito.endpoint, ... })
 * } finally {
 *   await cognito.stop();
 * }
 * ```
 */
export async function startEmbeddedCognito(options: EmbeddedCognitoOptions = {}): Promise<EmbeddedCognito> {
  const server = await startCognitoLocal(
    options.startTimeoutMs === undefined ? {} : { startTimeoutMs: options.startTimeoutMs },
  );
  try {
    const call = (operation: string, input: Record<string, unknown>) => cognitoCall(server.endpoint, operation, input);
    const { userPoolId, clientId } = await createPool(call, options.accessTokenValiditySeconds);
    const addUser = (username: string, user: string | TestUser) => createUser(call, userPoolId, username, user);
    for (const [username, user] of Object.entries(options.users ?? {})) await addUser(username, user);
    return {
      endpoint: server.endpoint,
      region: EMBEDDED_REGION,
      userPoolId,
      clientId,
      issuer: `${EMBEDDED_ISSUER_DOMAIN}/${userPoolId}`,
      dataDir: server.dataDir,
      output: server.output,
      addUser,
      call,
      stop: server.stop,
    };
  } catch (error) {
    await server.stop();
    throw error;
  }
}

type Call = (operation: string, input: Record<string, unknown>) => Promise<Record<string, unknown>>;

let poolSerial = 0;

/** A user pool and a public app client allowing USER_PASSWORD_AUTH and refresh, with token revocation. */
export async function createPool(
  call: Call,
  accessTokenValiditySeconds?: number,
): Promise<{ userPoolId: string; clientId: string }> {
  const pool = await call('CreateUserPool', { PoolName: `authchart-${Date.now()}-${++poolSerial}` });
  const userPoolId = (pool['UserPool'] as { Id?: string } | undefined)?.Id;
  if (!userPoolId) throw new AuthError('Service', 'CreateUserPool answered no pool id');
  const validity = accessTokenValiditySeconds;
  const client = await call('CreateUserPoolClient', {
    UserPoolId: userPoolId,
    ClientName: 'authchart-test',
    ExplicitAuthFlows: ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
    EnableTokenRevocation: true,
    ...(validity
      ? {
          AccessTokenValidity: validity,
          IdTokenValidity: validity,
          TokenValidityUnits: { AccessToken: 'seconds', IdToken: 'seconds' },
        }
      : {}),
  });
  const clientId = (client['UserPoolClient'] as { ClientId?: string } | undefined)?.ClientId;
  if (!clientId) throw new AuthError('Service', 'CreateUserPoolClient answered no client id');
  return { userPoolId, clientId };
}

/** A confirmed user (e-mail verified when the username is one), or one in FORCE_CHANGE_PASSWORD. */
export async function createUser(
  call: Call,
  userPoolId: string,
  username: string,
  init: string | TestUser,
): Promise<void> {
  const user = typeof init === 'string' ? { password: init } : init;
  const attributes =
    user.attributes ?? (username.includes('@') ? { email: username, email_verified: 'true' } : undefined);
  await call('AdminCreateUser', {
    UserPoolId: userPoolId,
    Username: username,
    MessageAction: 'SUPPRESS',
    ...(user.temporary ? { TemporaryPassword: user.password } : {}),
    ...(attributes ? { UserAttributes: Object.entries(attributes).map(([Name, Value]) => ({ Name, Value })) } : {}),
  });
  if (!user.temporary) {
    await call('AdminSetUserPassword', {
      UserPoolId: userPoolId,
      Username: username,
      Password: user.password,
      Permanent: true,
    });
  }
}
