/**
 * `authchart/cognito-sdk`: the core's {@link AuthServices} on the AWS SDK v3 Cognito client, for
 * servers that want SDK middleware or their own client. Same flows, challenges and error codes as
 * `authchart/cognito` (which needs no SDK and is far smaller in a browser bundle).
 *
 * The calls authchart makes are Cognito's public (unsigned) user-pool APIs, so no AWS credentials
 * are needed. Every `send` carries the actor's `AbortSignal`, so the step timeout also cuts off
 * the SDK's own retries.
 */
import {
  AssociateSoftwareTokenCommand,
  type AssociateSoftwareTokenCommandInput,
  ChangePasswordCommand,
  type ChangePasswordCommandInput,
  CognitoIdentityProviderClient,
  type CognitoIdentityProviderClientConfig,
  ConfirmForgotPasswordCommand,
  type ConfirmForgotPasswordCommandInput,
  ConfirmSignUpCommand,
  type ConfirmSignUpCommandInput,
  DeleteUserAttributesCommand,
  type DeleteUserAttributesCommandInput,
  DeleteUserCommand,
  type DeleteUserCommandInput,
  ForgotPasswordCommand,
  type ForgotPasswordCommandInput,
  GetUserAttributeVerificationCodeCommand,
  type GetUserAttributeVerificationCodeCommandInput,
  GetUserCommand,
  type GetUserCommandInput,
  GlobalSignOutCommand,
  InitiateAuthCommand,
  type InitiateAuthCommandInput,
  ResendConfirmationCodeCommand,
  type ResendConfirmationCodeCommandInput,
  RespondToAuthChallengeCommand,
  type RespondToAuthChallengeCommandInput,
  RevokeTokenCommand,
  type RevokeTokenCommandInput,
  SetUserMFAPreferenceCommand,
  type SetUserMFAPreferenceCommandInput,
  SignUpCommand,
  type SignUpCommandInput,
  UpdateUserAttributesCommand,
  type UpdateUserAttributesCommandInput,
  VerifySoftwareTokenCommand,
  type VerifySoftwareTokenCommandInput,
  VerifyUserAttributeCommand,
  type VerifyUserAttributeCommandInput,
} from '@aws-sdk/client-cognito-identity-provider';
import { AuthError } from '../errors.js';
import type { AuthServices } from '../services/types.js';
import { type CognitoOperation, isAccountCall, noAnswer, refusal, sentValues } from './cognito/errors.js';
import { type CognitoFlowOptions, cognitoFlows } from './cognito/flows.js';
import { checkEndpoint, type HttpOptions } from './http.js';

/** Options of {@link cognitoServices}. */
export interface CognitoSdkServicesOptions extends CognitoFlowOptions, Pick<HttpOptions, 'allowInsecureHttp'> {
  /** The user pool's region, e.g. `eu-west-1`. */
  region: string;
  /**
   * Override the endpoint (e.g. an embedded Cognito on `http://127.0.0.1:9229`): `https:` or
   * loopback, see `allowInsecureHttp`. Redirects and answer sizes are the SDK's (docs/cognito.md).
   */
  endpoint?: string;
  /** Bring your own client (shared config, middleware, or a mock in tests). */
  client?: CognitoIdentityProviderClient;
  /** SDK attempts per call (first try + retries). Default 3 (the SDK's backoff); always cut off by the step timeout. */
  maxAttempts?: number;
}

interface SdkErrorShape {
  name?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

/**
 * Maps whatever the SDK threw to an {@link AuthError}, with the table `authchart/cognito` uses. No
 * HTTP status means no answer came back: an abort (our step timeout) is `Timeout`, anything else `Network`.
 *
 * @example
 * const error = mapCognitoError(thrown, 'InitiateAuth', signal); // error.code === 'NotAuthorized', …
 */
export function mapCognitoError(
  error: unknown,
  operation: CognitoOperation,
  signal?: AbortSignal,
  sent: readonly string[] = [],
): AuthError {
  if (error instanceof AuthError) return error;
  const e = (typeof error === 'object' && error !== null ? error : {}) as SdkErrorShape;
  const status = e.$metadata?.httpStatusCode;
  if (signal?.aborted || e.name === 'AbortError' || status === undefined) return noAnswer(error, operation, signal);
  return refusal(e.name ?? 'UnknownError', e.message ?? '', status, operation, sent, error);
}

/**
 * The core's services for a Cognito user pool app client, on the AWS SDK v3.
 *
 * @example
 * import { cognitoServices } from 'authchart/cognito-sdk';
 *
 * const services = cognitoServices({ clientId: 'abc123', region: 'eu-west-1', userPoolId: 'eu-west-1_AbC123' });
 */
export function cognitoServices(options: CognitoSdkServicesOptions): AuthServices {
  if (!options || typeof options !== 'object') throw new AuthError('InvalidConfig', 'cognitoServices needs options');
  if (!options.client && (typeof options.region !== 'string' || options.region === '')) {
    throw new AuthError('InvalidConfig', 'cognitoServices needs a region');
  }
  const config: CognitoIdentityProviderClientConfig = {
    region: options.region,
    maxAttempts: options.maxAttempts ?? 3,
    // The user-pool APIs used here are unsigned; these placeholders stop the SDK from searching
    // the environment for AWS credentials it will not use.
    credentials: { accessKeyId: 'unused', secretAccessKey: 'unused' },
    ...(options.endpoint ? { endpoint: checkEndpoint('cognitoServices', options.endpoint, options).url } : {}),
  };
  // Built lazily so that a bad option fails in cognitoFlows before a client is made.
  let client = options.client;

  function command(operation: CognitoOperation, body: Record<string, unknown>) {
    switch (operation) {
      case 'InitiateAuth':
        return new InitiateAuthCommand(body as unknown as InitiateAuthCommandInput);
      case 'RespondToAuthChallenge':
        return new RespondToAuthChallengeCommand(body as unknown as RespondToAuthChallengeCommandInput);
      case 'GlobalSignOut':
        return new GlobalSignOutCommand(body as { AccessToken: string });
      case 'RevokeToken':
        return new RevokeTokenCommand(body as unknown as RevokeTokenCommandInput);
      // authchart/account's calls.
      case 'SignUp':
        return new SignUpCommand(body as unknown as SignUpCommandInput);
      case 'ConfirmSignUp':
        return new ConfirmSignUpCommand(body as unknown as ConfirmSignUpCommandInput);
      case 'ResendConfirmationCode':
        return new ResendConfirmationCodeCommand(body as unknown as ResendConfirmationCodeCommandInput);
      case 'ForgotPassword':
        return new ForgotPasswordCommand(body as unknown as ForgotPasswordCommandInput);
      case 'ConfirmForgotPassword':
        return new ConfirmForgotPasswordCommand(body as unknown as ConfirmForgotPasswordCommandInput);
      case 'ChangePassword':
        return new ChangePasswordCommand(body as unknown as ChangePasswordCommandInput);
      case 'GetUser':
        return new GetUserCommand(body as unknown as GetUserCommandInput);
      case 'UpdateUserAttributes':
        return new UpdateUserAttributesCommand(body as unknown as UpdateUserAttributesCommandInput);
      case 'VerifyUserAttribute':
        return new VerifyUserAttributeCommand(body as unknown as VerifyUserAttributeCommandInput);
      case 'GetUserAttributeVerificationCode':
        return new GetUserAttributeVerificationCodeCommand(
          body as unknown as GetUserAttributeVerificationCodeCommandInput,
        );
      case 'AssociateSoftwareToken':
        return new AssociateSoftwareTokenCommand(body as unknown as AssociateSoftwareTokenCommandInput);
      case 'VerifySoftwareToken':
        return new VerifySoftwareTokenCommand(body as unknown as VerifySoftwareTokenCommandInput);
      case 'SetUserMFAPreference':
        return new SetUserMFAPreferenceCommand(body as unknown as SetUserMFAPreferenceCommandInput);
      case 'DeleteUserAttributes':
        return new DeleteUserAttributesCommand(body as unknown as DeleteUserAttributesCommandInput);
      case 'DeleteUser':
        return new DeleteUserCommand(body as unknown as DeleteUserCommandInput);
    }
  }

  // authchart/account's calls are never retried (isAccountCall): their own client makes one attempt.
  // An app's own `client` keeps its retry settings for them too (docs/account.md).
  let accountClient = options.client;
  return cognitoFlows(async (operation, body, signal) => {
    client ??= new CognitoIdentityProviderClient(config);
    accountClient ??= new CognitoIdentityProviderClient({ ...config, maxAttempts: 1 });
    const sender = isAccountCall(operation) ? accountClient : client;
    try {
      // One union-typed `send` per command class; the output is Cognito's JSON shape either way.
      const output: object = await sender.send(command(operation, body) as InitiateAuthCommand, {
        abortSignal: signal,
      });
      return output as Record<string, unknown>;
    } catch (error) {
      throw mapCognitoError(error, operation, signal, sentValues(body));
    }
  }, options);
}
