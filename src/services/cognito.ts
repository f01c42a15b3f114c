/**
 * `authchart/cognito`: the core's {@link AuthServices} on the AWS SDK v3 Cognito client.
 *
 * The four calls authchart makes are Cognito's public (unsigned) user-pool APIs, so no AWS
 * credentials are needed. The SDK keeps its own retries; every `send` carries the actor's
 * `AbortSignal`, so when the step timeout fires the retry loop is cut off with it.
 */
import {
  CognitoIdentityProviderClient,
  type CognitoIdentityProviderClientConfig,
  GlobalSignOutCommand,
  InitiateAuthCommand,
  type InitiateAuthCommandOutput,
  RevokeTokenCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { AuthError, type AuthErrorCode } from '../errors.js';
import type { AuthServices, Tokens } from './types.js';

/** Options of {@link cognitoServices}. */
export interface CognitoServicesOptions {
  /** The app client id (a public client: no client secret). */
  clientId: string;
  /** The user pool's region, e.g. `eu-west-1`. */
  region: string;
  /** Override the endpoint (e.g. an embedded Cognito on `http://127.0.0.1:9229`). */
  endpoint?: string;
  /** Bring your own client (shared config, middleware, or a mock in tests). */
  client?: CognitoIdentityProviderClient;
  /** SDK attempts per call (first try + retries). Default 3; always cut off by the step timeout. */
  maxAttempts?: number;
}

const CODE_BY_EXCEPTION: Record<string, AuthErrorCode> = {
  NotAuthorizedException: 'NotAuthorized',
  UnsupportedOperationException: 'RevocationUnsupported',
  TooManyRequestsException: 'Throttled',
  LimitExceededException: 'Throttled',
};

interface SdkErrorShape {
  name?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
  $response?: unknown;
}

/**
 * Maps whatever the SDK threw to an {@link AuthError}. No HTTP status means the request never got
 * an answer: an abort (our step timeout) is `Timeout`, anything else is `Network`.
 */
export function mapCognitoError(error: unknown, operation: string, signal?: AbortSignal): AuthError {
  if (error instanceof AuthError) return error;
  const e = (typeof error === 'object' && error !== null ? error : {}) as SdkErrorShape;
  const name = e.name ?? 'Error';
  const status = e.$metadata?.httpStatusCode;
  if (signal?.aborted || name === 'AbortError') {
    return new AuthError('Timeout', `${operation} was aborted before Cognito answered`, { cause: error });
  }
  if (status === undefined) {
    return new AuthError('Network', `${operation} got no answer from Cognito (${name})`, { cause: error });
  }
  const code = CODE_BY_EXCEPTION[name] ?? 'Service';
  const detail = e.message ? `: ${e.message}` : '';
  return new AuthError(code, `${operation} was refused by Cognito: ${name} (HTTP ${status})${detail}`, {
    cause: error,
    serviceName: name,
  });
}

function tokensFrom(output: InitiateAuthCommandOutput, operation: string): Partial<Tokens> {
  if (output.ChallengeName) {
    throw new AuthError(
      'ChallengeRequired',
      `${operation} needs the ${output.ChallengeName} challenge, which authchart does not handle yet`,
      { challengeName: output.ChallengeName },
    );
  }
  const r = output.AuthenticationResult;
  if (!r?.AccessToken || !r.IdToken) {
    throw new AuthError('InvalidToken', `${operation} answered without tokens`);
  }
  return {
    accessToken: r.AccessToken,
    idToken: r.IdToken,
    ...(r.RefreshToken ? { refreshToken: r.RefreshToken } : {}),
  };
}

/** The core's services for a Cognito user pool app client, on the AWS SDK v3. */
export function cognitoServices(options: CognitoServicesOptions): AuthServices {
  if (!options || typeof options.clientId !== 'string' || options.clientId === '') {
    throw new AuthError('InvalidConfig', 'cognitoServices needs a clientId');
  }
  if (!options.client && (typeof options.region !== 'string' || options.region === '')) {
    throw new AuthError('InvalidConfig', 'cognitoServices needs a region');
  }
  const { clientId } = options;
  const config: CognitoIdentityProviderClientConfig = {
    region: options.region,
    maxAttempts: options.maxAttempts ?? 3,
    // The user-pool APIs used here are unsigned; these placeholders stop the SDK from searching
    // the environment for AWS credentials it will not use.
    credentials: { accessKeyId: 'unused', secretAccessKey: 'unused' },
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
  };
  const client = options.client ?? new CognitoIdentityProviderClient(config);

  async function call<T>(operation: string, signal: AbortSignal, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw mapCognitoError(error, operation, signal);
    }
  }

  return {
    clientId,
    async signIn({ username, password }, signal) {
      const output = await call('Sign-in', signal, () =>
        client.send(
          new InitiateAuthCommand({
            AuthFlow: 'USER_PASSWORD_AUTH',
            ClientId: clientId,
            AuthParameters: { USERNAME: username, PASSWORD: password },
          }),
          { abortSignal: signal },
        ),
      );
      const tokens = tokensFrom(output, 'Sign-in');
      if (!tokens.refreshToken) throw new AuthError('InvalidToken', 'Sign-in answered without a refresh token');
      return tokens as Tokens;
    },
    async refresh(refreshToken, signal) {
      const output = await call('Token refresh', signal, () =>
        client.send(
          new InitiateAuthCommand({
            AuthFlow: 'REFRESH_TOKEN_AUTH',
            ClientId: clientId,
            AuthParameters: { REFRESH_TOKEN: refreshToken },
          }),
          { abortSignal: signal },
        ),
      );
      return tokensFrom(output, 'Token refresh');
    },
    async globalSignOut(accessToken, signal) {
      await call('GlobalSignOut', signal, () =>
        client.send(new GlobalSignOutCommand({ AccessToken: accessToken }), { abortSignal: signal }),
      );
    },
    async revokeToken(refreshToken, signal) {
      await call('RevokeToken', signal, () =>
        client.send(new RevokeTokenCommand({ Token: refreshToken, ClientId: clientId }), { abortSignal: signal }),
      );
    },
  };
}
