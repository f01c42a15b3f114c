/**
 * The embedded Cognito of this project's tests and tools, built on `authchart/testing` (so the
 * two cannot drift): its cognito-local server (src/testing/cognito-local.ts) and its pool set-up,
 * plus an AWS SDK client for the admin calls the challenge tests make (tools/cognito-admin.ts).
 * Apps use `startEmbeddedCognito()` from `authchart/testing`, which needs no SDK.
 */
import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { type CognitoLocalServer, cognitoCall, startCognitoLocal } from '../src/testing/cognito-local.js';
import { createPool, createUser } from '../src/testing/embedded-cognito.js';

export { EMBEDDED_ISSUER_DOMAIN } from '../src/testing/cognito-local.js';

export interface EmbeddedCognito extends CognitoLocalServer {
  /** The working directory (`dataDir`); its `.cognito/db/<poolId>.json` files are the data, loaded at start. */
  cwd: string;
  /** A client for admin calls (cognito-local accepts any credentials). */
  admin: CognitoIdentityProviderClient;
}

export interface PoolSetup {
  userPoolId: string;
  clientId: string;
  username: string;
  password: string;
}

// The SDK warns on Node 20 about its 2027 support window; tests and the demo need not repeat it.
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';

/** Starts cognito-local, no pool; with `cwd`, on that directory's data, which `stop` then leaves in place. */
export async function startEmbeddedCognito(
  opts: { startTimeoutMs?: number; cwd?: string } = {},
): Promise<EmbeddedCognito> {
  const server = await startCognitoLocal({
    ...(opts.cwd === undefined ? {} : { dataDir: opts.cwd }),
    ...(opts.startTimeoutMs === undefined ? {} : { startTimeoutMs: opts.startTimeoutMs }),
  });
  const admin = adminClient(server.endpoint);
  return {
    ...server,
    cwd: server.dataDir,
    admin,
    stop: async () => {
      admin.destroy();
      await server.stop();
    },
  };
}

/** A client for cognito-local's admin calls (it accepts any credentials). */
export function adminClient(endpoint: string): CognitoIdentityProviderClient {
  return new CognitoIdentityProviderClient({
    endpoint,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
}

let userSerial = 0;

/**
 * A user pool (e-mail usernames), a public app client with USER_PASSWORD_AUTH, and a confirmed user:
 * the set-up of `authchart/testing`'s `startEmbeddedCognito`, on a running server.
 */
export async function createPoolWithUser(
  cognito: Pick<EmbeddedCognito, 'endpoint'>,
  opts: { accessTokenValiditySeconds?: number; email?: string; password?: string } = {},
): Promise<PoolSetup> {
  const call = (operation: string, input: Record<string, unknown>) => cognitoCall(cognito.endpoint, operation, input);
  const { userPoolId, clientId } = await createPool(call, opts.accessTokenValiditySeconds);
  const username = opts.email ?? `user${process.pid}-${++userSerial}@example.com`;
  const password = opts.password ?? 'Correct-Horse-9';
  await createUser(call, userPoolId, username, password);
  return { userPoolId, clientId, username, password };
}
