/**
 * An embedded Cognito for tests and the demo: `cognito-local` on 127.0.0.1, on a free port, in a
 * fresh temp working directory (its data lives in `./.cognito` there), plus a helper that creates
 * a user pool, a public app client and a confirmed user.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  AdminCreateUserCommand,
  AdminSetUserPasswordCommand,
  CognitoIdentityProviderClient,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
} from '@aws-sdk/client-cognito-identity-provider';

export interface EmbeddedCognito {
  endpoint: string;
  /** The working directory; its `.cognito/db/<poolId>.json` files are the data, loaded at start. */
  cwd: string;
  /** Everything cognito-local printed so far (colour codes stripped): codes it "sends" appear here. */
  output(): string;
  /** A client for admin calls (cognito-local accepts any credentials). */
  admin: CognitoIdentityProviderClient;
  stop(): Promise<void>;
}

export interface PoolSetup {
  userPoolId: string;
  clientId: string;
  username: string;
  password: string;
}

/** The issuer domain of the embedded Cognito's tokens: a pool `local_X` issues as `${domain}/local_X`. */
export const EMBEDDED_ISSUER_DOMAIN = 'https://cognito-idp.local.amazonaws.com';

const require = createRequire(import.meta.url);
// The SDK warns on Node 20 about its 2027 support window; tests and the demo need not repeat it.
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';
// biome-ignore lint/suspicious/noControlCharactersInRegex: stripping terminal colour codes
const ANSI = /\u001b\[[0-9;]*m/g;

/** Starts cognito-local; with `cwd`, on that directory's data, which `stop` then leaves in place. */
export async function startEmbeddedCognito(
  opts: { startTimeoutMs?: number; cwd?: string } = {},
): Promise<EmbeddedCognito> {
  const cwd = opts.cwd ?? (await mkdtemp(join(tmpdir(), 'authchart-cognito-')));
  if (!opts.cwd) {
    // Tokens name the issuer real Cognito would for a pool of region `local` (cognito-local's pool
    // ids are `local_…`), so `cognitoServices({ userPoolId })` checks `iss` here as against AWS.
    await mkdir(join(cwd, '.cognito'), { recursive: true });
    await writeFile(
      join(cwd, '.cognito', 'config.json'),
      JSON.stringify({ TokenConfig: { IssuerDomain: EMBEDDED_ISSUER_DOMAIN } }),
    );
  }
  const bin = join(dirname(require.resolve('cognito-local/package.json')), 'lib/bin/start.js');
  const child = spawn(process.execPath, [bin], {
    cwd,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', NODE_NO_WARNINGS: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const stop = async () => {
    await stopChild(child);
    if (!opts.cwd) await rm(cwd, { recursive: true, force: true });
  };
  try {
    const endpoint = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`cognito-local did not start in time; it printed:\n${output}`)),
        opts.startTimeoutMs ?? 20_000,
      );
      const onData = (chunk: Buffer) => {
        output += chunk.toString().replace(ANSI, '');
        const m = /running on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
        if (m?.[1]) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`cognito-local exited with ${code}; it printed:\n${output}`));
      });
    });
    await waitForHealth(endpoint);
    const admin = adminClient(endpoint);
    return {
      endpoint,
      cwd,
      output: () => output,
      admin,
      stop: async () => {
        admin.destroy();
        await stop();
      },
    };
  } catch (error) {
    await stop();
    throw error;
  }
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

async function waitForHealth(endpoint: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      const res = await fetch(`${endpoint}/health`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`cognito-local at ${endpoint} never became healthy`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 3000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

let userSerial = 0;

/** A user pool (e-mail usernames), a public app client with USER_PASSWORD_AUTH, and a confirmed user. */
export async function createPoolWithUser(
  cognito: Pick<EmbeddedCognito, 'admin'>,
  opts: { accessTokenValiditySeconds?: number; email?: string; password?: string } = {},
): Promise<PoolSetup> {
  const pool = await cognito.admin.send(new CreateUserPoolCommand({ PoolName: `authchart-${Date.now()}` }));
  const userPoolId = pool.UserPool?.Id;
  if (!userPoolId) throw new Error('CreateUserPool returned no id');
  const validity = opts.accessTokenValiditySeconds;
  const client = await cognito.admin.send(
    new CreateUserPoolClientCommand({
      UserPoolId: userPoolId,
      ClientName: 'authchart-demo',
      ExplicitAuthFlows: ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
      EnableTokenRevocation: true,
      ...(validity
        ? {
            AccessTokenValidity: validity,
            IdTokenValidity: validity,
            TokenValidityUnits: { AccessToken: 'seconds', IdToken: 'seconds' },
          }
        : {}),
    }),
  );
  const clientId = client.UserPoolClient?.ClientId;
  if (!clientId) throw new Error('CreateUserPoolClient returned no id');
  const username = opts.email ?? `user${process.pid}-${++userSerial}@example.com`;
  const password = opts.password ?? 'Correct-Horse-9';
  await cognito.admin.send(
    new AdminCreateUserCommand({
      UserPoolId: userPoolId,
      Username: username,
      MessageAction: 'SUPPRESS',
      UserAttributes: [
        { Name: 'email', Value: username },
        { Name: 'email_verified', Value: 'true' },
      ],
    }),
  );
  await cognito.admin.send(
    new AdminSetUserPasswordCommand({
      UserPoolId: userPoolId,
      Username: username,
      Password: password,
      Permanent: true,
    }),
  );
  return { userPoolId, clientId, username, password };
}
