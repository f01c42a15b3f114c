import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import { createPool, createUser, enableMfa, seedSmsMfaOption } from '../../tools/cognito-admin.js';
import {
  createPoolWithUser,
  type EmbeddedCognito,
  type PoolSetup,
  startEmbeddedCognito,
} from '../../tools/embedded-cognito.js';

/** The run's embedded Cognito (started by the global setup) with a fresh pool, client and user. */
export async function freshPool(
  opts: { accessTokenValiditySeconds?: number } = {},
): Promise<PoolSetup & { endpoint: string }> {
  const endpoint = inject('cognitoEndpoint');
  return { ...(await createPoolWithUser({ endpoint }, opts)), endpoint };
}

/** A cognito-local of its own whose users have SMS MFA (cognito-local cannot set that through its API). */
export interface SmsCognito {
  cognito: EmbeddedCognito;
  userPoolId: string;
  clientId: string;
  /** SMS MFA only. */
  smsUser: { username: string; password: string };
  /** SMS and TOTP MFA: Cognito asks SELECT_MFA_TYPE. */
  bothUser: { username: string; password: string };
  /** The base32 TOTP secret of `bothUser`. */
  totpSecret: string;
  stop(): Promise<void>;
}

/**
 * Starts cognito-local on a temp directory, creates the two MFA users, stops it, writes their SMS
 * `MFAOptions` into the pool file (see seedSmsMfaOption) and starts it again on that data.
 *
 * @example
 * ```ts
 * const sms = await startSmsCognito('Correct-Horse-9');
 * try { ... } finally { await sms.stop(); }
 * ```
 */
export async function startSmsCognito(password: string): Promise<SmsCognito> {
  const dir = await mkdtemp(join(tmpdir(), 'authchart-sms-'));
  try {
    const first = await startEmbeddedCognito({ cwd: dir });
    let setup: { userPoolId: string; clientId: string; sms: PoolUser; both: PoolUser; totpSecret: string };
    try {
      const { userPoolId, clientId } = await createPool(first.admin);
      const sms = await createUser(first.admin, userPoolId, { password });
      const both = await createUser(first.admin, userPoolId, { password });
      await enableMfa(first.admin, clientId, sms, { sms: true });
      const totpSecret = (await enableMfa(first.admin, clientId, both, { sms: true, totp: true })) ?? '';
      setup = { userPoolId, clientId, sms, both, totpSecret };
    } finally {
      await first.stop();
    }
    await seedSmsMfaOption(dir, setup.userPoolId, setup.sms.username);
    await seedSmsMfaOption(dir, setup.userPoolId, setup.both.username);
    const cognito = await startEmbeddedCognito({ cwd: dir });
    return {
      cognito,
      userPoolId: setup.userPoolId,
      clientId: setup.clientId,
      smsUser: { username: setup.sms.username, password },
      bothUser: { username: setup.both.username, password },
      totpSecret: setup.totpSecret,
      async stop() {
        await cognito.stop();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

type PoolUser = { username: string; password: string };

/**
 * A code of the same shape that is not `code` (nor its neighbours in time, for TOTP).
 *
 * @example
 * ```ts
 * wrongCode('123456'); // '623456'
 * ```
 */
export function wrongCode(code: string): string {
  return String((Number(code) + 500_000) % 1_000_000).padStart(6, '0');
}

/**
 * The code cognito-local printed after `mark` (a length of its output), waiting briefly: its
 * console line may reach us just after the HTTP answer does.
 *
 * @example
 * ```ts
 * const mark = cognito.output().length;
 * await auth.signIn(user);
 * const code = await codeSentSince(cognito, mark);
 * ```
 */
export async function codeSentSince(cognito: Pick<EmbeddedCognito, 'output'>, mark: number): Promise<string> {
  const deadline = Date.now() + 2000;
  for (;;) {
    const codes = [
      ...cognito
        .output()
        .slice(mark)
        .matchAll(/Code:\s*(\d+)/g),
    ];
    const code = codes.at(-1)?.[1];
    if (code) return code;
    if (Date.now() > deadline) throw new Error('cognito-local printed no code');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * An account pool of its own: cognito-local in a temp directory, a pool that verifies e-mail on
 * sign-up (so it "sends" codes, kept in its pool file) and a USER_PASSWORD_AUTH client.
 */
export async function startAccountCognito(): Promise<{
  cognito: EmbeddedCognito;
  poolId: string;
  clientId: string;
  /** The code cognito-local last "sent" to the e-mail `to`, other than `after` (waits up to 5 s). */
  codeFor(to: string, after?: string): Promise<string>;
  /** The code it holds for `to` now, if any (a confirmed sign-up's is gone). */
  storedCode(to: string): Promise<string | undefined>;
  stop(): Promise<void>;
}> {
  const { CreateUserPoolClientCommand, CreateUserPoolCommand } = await import(
    '@aws-sdk/client-cognito-identity-provider'
  );
  const dir = await mkdtemp(join(tmpdir(), 'authchart-account-'));
  const cognito = await startEmbeddedCognito({ cwd: dir });
  const pool = await cognito.admin.send(
    new CreateUserPoolCommand({
      PoolName: 'authchart-account',
      AutoVerifiedAttributes: ['email'],
      MfaConfiguration: 'OPTIONAL',
    }),
  );
  const poolId = pool.UserPool?.Id ?? '';
  const client = await cognito.admin.send(
    new CreateUserPoolClientCommand({
      UserPoolId: poolId,
      ClientName: 'authchart-account',
      ExplicitAuthFlows: ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
    }),
  );
  // The pool file, not the log: cognito-local's log can sit in a pipe buffer.
  const storedCode = async (to: string): Promise<string | undefined> => {
    const file = await readFile(join(dir, '.cognito', 'db', `${poolId}.json`), 'utf8').catch(() => '{}');
    const db = JSON.parse(file) as {
      Users?: Record<string, { Attributes?: { Name: string; Value: string }[]; ConfirmationCode?: string }>;
    };
    const user = Object.values(db.Users ?? {}).find((u) =>
      u.Attributes?.some((a) => a.Name === 'email' && a.Value === to),
    );
    return user?.ConfirmationCode;
  };
  return {
    cognito,
    poolId,
    clientId: client.UserPoolClient?.ClientId ?? '',
    storedCode,
    async codeFor(to, after) {
      for (let i = 0; i < 100; i++) {
        const code = await storedCode(to);
        if (code && code !== after) return code;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`cognito-local holds no code for ${to}`);
    },
    async stop() {
      await cognito.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
