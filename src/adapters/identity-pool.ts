/**
 * `authchart/identity-pool`: temporary AWS credentials from a Cognito identity pool, on plain `fetch`.
 *
 * It speaks the identity pool's two unsigned JSON calls (GetId, GetCredentialsForIdentity: the
 * "enhanced" flow) with the transport rules of `authchart/cognito`: https (loopback excepted), no
 * redirect followed, a size cap, one retry of a throttle or 5xx, bounded foreign text, typed
 * errors. Signing requests with the credentials (SigV4) is the AWS SDK's: see docs/identity-pool.md.
 */
import { AuthError, type AuthErrorCode } from '../errors.js';
import type { AwsCredentials, CredentialsProvider } from '../services/types.js';
import { jwtClaims } from '../session/jwt.js';
import { checkEndpoint, clip, type HttpOptions, post, safeName } from './http.js';
import { holdCredentials } from './identity-pool-holder.js';

export type { AwsCredentials, CredentialsProvider } from '../services/types.js';
export type { HttpOptions } from './http.js';

/** Options of {@link identityPool}. */
export interface IdentityPoolOptions extends HttpOptions {
  /** `<region>:<uuid>`, e.g. `eu-west-1:0b0e…`. */
  identityPoolId: string;
  /** The identity pool's region (default: the one in `identityPoolId`). */
  region?: string;
  /** Override the endpoint (a local fake): `https:` or loopback, see `allowInsecureHttp`. */
  endpoint?: string;
  /** Give guests (no signed-in user) unauthenticated credentials; the pool must allow them. Default false. */
  allowGuest?: boolean;
  /** Bring your own `fetch`. Default: the global one, read per call. */
  fetch?: typeof globalThis.fetch;
  /**
   * The `Logins` key of the user pool, if not the ID token's issuer without `https://`
   * (`cognito-idp.<region>.amazonaws.com/<userPoolId>`): an emulator's issuer, say.
   */
  loginsKey?: string;
  /** Attempts per call: 1 (no retry) or 2 (default: one retry of a throttle or 5xx). */
  maxAttempts?: number;
  /** Delay before the retry, in ms (default 250, with jitter). */
  retryDelayMs?: number;
}

type Operation = 'GetId' | 'GetCredentialsForIdentity';

const CODES: Record<string, AuthErrorCode> = {
  NotAuthorizedException: 'NotAuthorized',
  TooManyRequestsException: 'Throttled',
  LimitExceededException: 'Throttled',
  InvalidParameterException: 'InvalidInput',
};

/** A string field of an answer, or `Service` naming what is missing (never its value). */
function field(json: unknown, key: string, operation: Operation): string {
  const value = json && typeof json === 'object' ? (json as Record<string, unknown>)[key] : undefined;
  if (typeof value !== 'string' || value === '') {
    throw new AuthError('Service', `${operation}: the answer has no ${key}`);
  }
  return value;
}

const wait = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });

/**
 * The credentials of a Cognito identity pool, for `createAuth({ credentials })`: `auth.fetchCredentials()`
 * then answers them, held here per user in memory and cleared by the chart whenever the session ends
 * (docs/identity-pool.md). `getCredentials` asks the pool once, holding nothing.
 *
 * @example
 * import { createAuth } from 'authchart';
 * import { identityPool } from 'authchart/identity-pool';
 *
 * const auth = createAuth({
 *   services,
 *   credentials: identityPool({ identityPoolId: 'eu-west-1:0b0e0000-1111-2222-3333-444455556666' }),
 * });
 * const { accessKeyId, secretAccessKey, sessionToken } = await auth.fetchCredentials();
 */
export function identityPool(options: IdentityPoolOptions): CredentialsProvider {
  const poolId = options?.identityPoolId;
  const match = typeof poolId === 'string' ? /^([a-z][a-z\d-]*):[\w-]+$/.exec(poolId) : null;
  if (!match) throw new AuthError('InvalidConfig', 'identityPool: identityPoolId must be <region>:<id>');
  const region = options.region ?? match[1];
  const { url, max } = checkEndpoint(
    'identityPool',
    options.endpoint ?? `https://cognito-identity.${region}.amazonaws.com/`,
    options,
  );
  const maxAttempts = (options.maxAttempts ?? 2) < 2 ? 1 : 2;
  const retryDelayMs = options.retryDelayMs ?? 250;

  async function attempt(operation: Operation, body: Record<string, unknown>, sent: string[], signal: AbortSignal) {
    let status: number;
    let text: string;
    try {
      ({ status, text } = await post(
        options.fetch ?? globalThis.fetch,
        url,
        {
          headers: {
            'content-type': 'application/x-amz-json-1.1',
            'x-amz-target': `AWSCognitoIdentityService.${operation}`,
          },
          body: JSON.stringify(body),
          signal,
        },
        max,
        operation,
      ));
    } catch (cause) {
      if (cause instanceof AuthError) throw cause;
      const code = signal.aborted ? 'Timeout' : 'Network';
      throw new AuthError(code, `${operation} got no answer from the identity pool`, { cause });
    }
    let json: Record<string, unknown> = {};
    try {
      const parsed: unknown = text ? JSON.parse(text) : {};
      if (parsed && typeof parsed === 'object') json = parsed as Record<string, unknown>;
    } catch {}
    if (status > 199 && status < 300) return { json };
    const type = json['__type'];
    const name = safeName((typeof type === 'string' && type.split('#').pop()) || 'UnknownError', 'UnknownError');
    const message = typeof json['message'] === 'string' ? `: ${clip(json['message'], 200, sent)}` : '';
    const code = status === 429 ? 'Throttled' : (CODES[name] ?? 'Service');
    const error = new AuthError(
      code,
      `${operation} was refused by the identity pool: ${name} (HTTP ${status})${message}`,
      { serviceName: name },
    );
    return { error, retryable: status >= 500 || code === 'Throttled' };
  }

  async function call(operation: Operation, body: Record<string, unknown>, sent: string[], signal: AbortSignal) {
    for (let n = 1; ; n++) {
      const result = await attempt(operation, body, sent, signal);
      if ('json' in result) return result.json;
      if (!result.retryable || n >= maxAttempts) throw result.error;
      await wait(retryDelayMs * (0.5 + Math.random()), signal).catch((cause: unknown) => {
        throw new AuthError('Timeout', `${operation} was aborted before the identity pool answered`, { cause });
      });
    }
  }

  async function credentialsFor(identityId: string, logins: object | undefined, sent: string[], signal: AbortSignal) {
    const json = await call(
      'GetCredentialsForIdentity',
      logins ? { IdentityId: identityId, Logins: logins } : { IdentityId: identityId },
      sent,
      signal,
    );
    const c = json['Credentials'];
    const seconds = c && typeof c === 'object' ? (c as Record<string, unknown>)['Expiration'] : undefined;
    // A date a Date can hold (never an Invalid Date, which an SDK would take as never expiring). One
    // already past is handed over all the same (a device clock far ahead): it is just never held.
    const expiration = new Date(typeof seconds === 'number' ? seconds * 1000 : Number.NaN);
    if (Number.isNaN(expiration.getTime())) {
      throw new AuthError('Service', 'GetCredentialsForIdentity: the answer has no Expiration');
    }
    return {
      accessKeyId: field(c, 'AccessKeyId', 'GetCredentialsForIdentity'),
      secretAccessKey: field(c, 'SecretKey', 'GetCredentialsForIdentity'),
      sessionToken: field(c, 'SessionToken', 'GetCredentialsForIdentity'),
      // Epoch seconds on the wire.
      expiration,
      // The identity Cognito answers for: another one than asked when it merged a guest's into the user's.
      identityId: field(json, 'IdentityId', 'GetCredentialsForIdentity'),
    } satisfies AwsCredentials;
  }

  const getCredentials: CredentialsProvider['getCredentials'] = async ({ idToken, identityId }, signal) => {
    if (idToken === null && !options.allowGuest) {
      throw new AuthError('NotSignedIn', 'identityPool: guests are not allowed (allowGuest)');
    }
    let logins: Record<string, string> | undefined;
    if (idToken !== null) {
      const iss = jwtClaims(idToken, 'ID token')['iss'];
      const key = options.loginsKey ?? (typeof iss === 'string' ? iss.replace(/^https:\/\//, '') : '');
      if (!key) throw new AuthError('InvalidToken', 'identityPool: the ID token has no iss');
      logins = { [key]: idToken };
    }
    const sent = idToken === null ? [] : [idToken];
    // A guest's identity given with the user's ID token: Cognito links it to the user (or merges it).
    if (identityId !== undefined) {
      try {
        return await credentialsFor(identityId, logins, sent, signal);
      } catch (error) {
        // That identity is gone, or already another user's: the user's own identity is asked for below.
        if (!(error instanceof AuthError) || idToken === null || !['NotAuthorized', 'Service'].includes(error.code)) {
          throw error;
        }
        if (signal.aborted) throw error;
      }
    }
    const id = await call(
      'GetId',
      logins ? { IdentityPoolId: poolId, Logins: logins } : { IdentityPoolId: poolId },
      sent,
      signal,
    );
    return credentialsFor(field(id, 'IdentityId', 'GetId'), logins, sent, signal);
  };
  const allowGuest = options.allowGuest === true;
  return { allowGuest, getCredentials, ...holdCredentials(allowGuest, getCredentials) };
}
