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
  ChangePasswordCommand,
  CognitoIdentityProviderClient,
  type CognitoIdentityProviderClientConfig,
  CompleteWebAuthnRegistrationCommand,
  ConfirmDeviceCommand,
  ConfirmForgotPasswordCommand,
  ConfirmSignUpCommand,
  DeleteUserAttributesCommand,
  DeleteUserCommand,
  DeleteWebAuthnCredentialCommand,
  ForgetDeviceCommand,
  ForgotPasswordCommand,
  GetUserAttributeVerificationCodeCommand,
  GetUserCommand,
  GlobalSignOutCommand,
  InitiateAuthCommand,
  ListDevicesCommand,
  ListWebAuthnCredentialsCommand,
  ResendConfirmationCodeCommand,
  RespondToAuthChallengeCommand,
  RevokeTokenCommand,
  SetUserMFAPreferenceCommand,
  SignUpCommand,
  StartWebAuthnRegistrationCommand,
  UpdateDeviceStatusCommand,
  UpdateUserAttributesCommand,
  VerifySoftwareTokenCommand,
  VerifyUserAttributeCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { AuthError } from '../errors.js';
import type { AuthServices } from '../services/types.js';
import { type CognitoOperation, noAnswer, refusal, sentValues } from './cognito/errors.js';
import { type CognitoFlowOptions, cognitoFlows } from './cognito/flows.js';
import { checkEndpoint, type HttpOptions } from './http.js';

/** One command class per operation (modular imports: an app's bundle holds only these). */
const COMMANDS: Record<CognitoOperation, new (input: never) => object> = {
  InitiateAuth: InitiateAuthCommand,
  RespondToAuthChallenge: RespondToAuthChallengeCommand,
  GlobalSignOut: GlobalSignOutCommand,
  RevokeToken: RevokeTokenCommand,
  // authchart/account's calls.
  SignUp: SignUpCommand,
  ConfirmSignUp: ConfirmSignUpCommand,
  ResendConfirmationCode: ResendConfirmationCodeCommand,
  ForgotPassword: ForgotPasswordCommand,
  ConfirmForgotPassword: ConfirmForgotPasswordCommand,
  ChangePassword: ChangePasswordCommand,
  GetUser: GetUserCommand,
  UpdateUserAttributes: UpdateUserAttributesCommand,
  VerifyUserAttribute: VerifyUserAttributeCommand,
  GetUserAttributeVerificationCode: GetUserAttributeVerificationCodeCommand,
  AssociateSoftwareToken: AssociateSoftwareTokenCommand,
  VerifySoftwareToken: VerifySoftwareTokenCommand,
  SetUserMFAPreference: SetUserMFAPreferenceCommand,
  DeleteUserAttributes: DeleteUserAttributesCommand,
  DeleteUser: DeleteUserCommand,
  StartWebAuthnRegistration: StartWebAuthnRegistrationCommand,
  CompleteWebAuthnRegistration: CompleteWebAuthnRegistrationCommand,
  ListWebAuthnCredentials: ListWebAuthnCredentialsCommand,
  DeleteWebAuthnCredential: DeleteWebAuthnCredentialCommand,
  ConfirmDevice: ConfirmDeviceCommand,
  UpdateDeviceStatus: UpdateDeviceStatusCommand,
  ForgetDevice: ForgetDeviceCommand,
  ListDevices: ListDevicesCommand,
};

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

  // authchart/account's calls are never retried (`once`): their own client makes one attempt.
  // An app's own `client` keeps its retry settings for them too (docs/account.md).
  let accountClient = options.client;
  return cognitoFlows(async (operation, body, signal, once) => {
    client ??= new CognitoIdentityProviderClient(config);
    accountClient ??= new CognitoIdentityProviderClient({ ...config, maxAttempts: 1 });
    const sender = once ? accountClient : client;
    try {
      // One union-typed `send` per command class; the output is Cognito's JSON shape either way.
      const output: object = await sender.send(new COMMANDS[operation](body as never) as InitiateAuthCommand, {
        abortSignal: signal,
      });
      return output as Record<string, unknown>;
    } catch (error) {
      throw mapCognitoError(error, operation, signal, sentValues(body));
    }
  }, options);
}
