/**
 * The sign-in, challenge, refresh and sign-out logic shared by both Cognito transports. A transport
 * is one function that sends a Cognito JSON request and answers its JSON (or throws `AuthError`).
 */
import { AuthError } from '../../errors.js';
import type {
  AuthFlow,
  AuthServices,
  ChallengeKind,
  Credentials,
  SignInChallenge,
  SignInStep,
  Tokens,
} from '../../services/types.js';
import { jwtClaims } from '../../session/jwt.js';
import { poolIssuer } from '../http.js';
import {
  afterGoneDevice,
  attachDevices,
  deviceRecords,
  type RememberedDevices,
  twiceIfDeviceGone,
} from './device-wiring.js';
import type { CognitoOperation } from './errors.js';

/**
 * The SRP and HMAC code, loaded at the first SRP sign-in or SECRET_HASH: an app that restores its
 * session and signs out never pays for it (docs/benchmarks.md, P4.signOutOnly).
 */
const srp = () =>
  import('./srp.js').catch((cause: unknown) => {
    // A chunk that would not load (offline, a deploy that removed it). Retryable, though a browser
    // may remember the failed fetch until the page reloads: the message says so.
    throw new AuthError('Network', 'The SRP code could not be loaded (if this persists, reload the page)', { cause });
  });

/**
 * Sends one Cognito request (body as in Cognito's API reference) and answers the parsed JSON.
 * `once`: an `authchart/account` call, never retried by the transport. Most are not safe to repeat
 * (a second code sent, an attempt spent, a sign-up that landed answering UsernameExists the second time).
 */
export type CognitoCall = (
  operation: CognitoOperation,
  body: Record<string, unknown>,
  signal: AbortSignal,
  once?: boolean,
) => Promise<Record<string, unknown>>;

/** Options both transports share. */
export interface CognitoFlowOptions {
  /** The app client id. */
  clientId: string;
  /**
   * The user pool id (`eu-west-1_AbC123`, in `region`): needed for SRP, whose proof hashes the pool
   * name, and names the token issuer `https://cognito-idp.<region>.amazonaws.com/<userPoolId>`.
   */
  userPoolId?: string;
  /** The issuer every token must carry, when it is not the one `userPoolId` names (an emulator's). */
  issuer?: string;
  /** For confidential (server-side) app clients: `SECRET_HASH` goes on every call that takes it. */
  clientSecret?: string;
  /** How sign-in proves the password. Default `USER_SRP_AUTH` (the password never leaves the device). */
  authFlow?: AuthFlow;
  /**
   * Remembered devices (`rememberedDevices({ storage })` from `authchart/devices`): confirms the
   * device a sign-in's `NewDeviceMetadata` names and keeps its record, sends `DEVICE_KEY` at later
   * sign-ins and answers `DEVICE_SRP_AUTH` (a remembered device skips MFA). Without it, no
   * `DEVICE_KEY` is sent and `NewDeviceMetadata` is ignored.
   */
  devices?: RememberedDevices;
}

interface AuthOutput {
  ChallengeName?: string;
  /** USER_AUTH's SELECT_CHALLENGE: the first factors this user may choose. */
  AvailableChallenges?: string[];
  ChallengeParameters?: Record<string, string>;
  Session?: string;
  AuthenticationResult?: { AccessToken?: string; IdToken?: string; RefreshToken?: string; NewDeviceMetadata?: unknown };
}

/** Cognito challenge name → what the app asks the user for, and the ChallengeResponses key of the answer. */
const CHALLENGES: Record<string, [ChallengeKind, string]> = {
  NEW_PASSWORD_REQUIRED: ['newPassword', 'NEW_PASSWORD'],
  SOFTWARE_TOKEN_MFA: ['totpCode', 'SOFTWARE_TOKEN_MFA_CODE'],
  SMS_MFA: ['smsCode', 'SMS_MFA_CODE'],
  EMAIL_OTP: ['emailCode', 'EMAIL_OTP_CODE'],
  SELECT_MFA_TYPE: ['selectMfa', 'ANSWER'],
  // USER_AUTH's first factors (a code sent, a passkey) and its choice among them.
  SMS_OTP: ['smsCode', 'SMS_OTP_CODE'],
  WEB_AUTHN: ['passkey', 'CREDENTIAL'],
  SELECT_CHALLENGE: ['selectChallenge', 'ANSWER'],
  // Not Cognito challenges: a password factor chosen at SELECT_CHALLENGE, asked of the user, then
  // sent with that choice (PASSWORD) or proven by SRP (PASSWORD_SRP).
  PASSWORD: ['password', 'PASSWORD'],
  PASSWORD_SRP: ['password', 'PASSWORD'],
};

function unhandled(name: string): AuthError {
  return new AuthError('ChallengeRequired', `Unhandled challenge ${name}`, {
    challengeName: name,
  });
}

/** A string claim of an access token, decoded only: `username` (Cognito's own) or `device_key`. */
function claim(accessToken: string | undefined, name: string): string | undefined {
  try {
    const value = accessToken ? jwtClaims(accessToken, 'access token')[name] : undefined;
    return typeof value === 'string' && value !== '' ? value : undefined;
  } catch {
    return undefined;
  }
}

function options(raw: string | undefined): string[] | undefined {
  if (!raw) return undefined;
  try {
    const parsed: unknown = JSON.parse(raw);
    return Array.isArray(parsed) ? parsed.filter((x): x is string => typeof x === 'string') : undefined;
  } catch {
    return undefined;
  }
}

/**
 * {@link AuthServices} over a transport. Used by `authchart/cognito` and `authchart/cognito-sdk`.
 *
 * @example
 * const services = cognitoFlows(async (operation, body, signal) => myTransport(operation, body, signal), {
 *   clientId: 'abc',
 *   userPoolId: 'eu-west-1_AbC123',
 * });
 */
export function cognitoFlows(call: CognitoCall, opts: CognitoFlowOptions & { region?: string }): AuthServices {
  const { clientId, clientSecret, userPoolId } = opts;
  const defaultFlow = opts.authFlow ?? 'USER_SRP_AUTH';
  if (typeof clientId !== 'string' || clientId === '') {
    throw new AuthError('InvalidConfig', 'cognitoServices needs a clientId');
  }
  const issuer = poolIssuer('cognitoServices', opts);
  const poolName = userPoolId?.split('_')[1];
  const needsPool = () => new AuthError('InvalidConfig', 'USER_SRP_AUTH needs userPoolId (e.g. eu-west-1_AbC123)');
  if (defaultFlow === 'USER_SRP_AUTH' && !poolName) throw needsPool();
  // Cognito wants the username behind a refresh token for its SECRET_HASH; remember the last one.
  let lastUsername: string | undefined;
  /** Cognito's username → the one typed (an e-mail alias): a device record goes under both. */
  const typedNames = new Map<string, string>();
  const devices = opts.devices ? attachDevices(opts.devices, clientId, call) : undefined;
  /** `params` plus DEVICE_KEY when this device is remembered for `username`. */
  const withDevice = async (params: Record<string, string>, username: string) => {
    const key = devices && (await (await devices()).deviceKey(username));
    return key ? { ...params, DEVICE_KEY: key } : params;
  };

  /** `params` plus SECRET_HASH for `username` when the client has a secret. */
  async function secured(params: Record<string, string>, username: string) {
    if (clientSecret) params['SECRET_HASH'] = await (await srp()).secretHash(username, clientId, clientSecret);
    return params;
  }

  /** One sign-in request (InitiateAuth or RespondToAuthChallenge), with SECRET_HASH and this device's key. */
  const post = async (
    operation: 'InitiateAuth' | 'RespondToAuthChallenge',
    name: string,
    params: Record<string, string>,
    username: string,
    signal: AbortSignal,
    session?: string,
  ) => {
    const initiating = operation === 'InitiateAuth';
    const keyed = name === 'REFRESH_TOKEN_AUTH' ? params : await withDevice(params, username);
    const body = {
      [initiating ? 'AuthFlow' : 'ChallengeName']: name,
      ClientId: clientId,
      [initiating ? 'AuthParameters' : 'ChallengeResponses']: await secured(keyed, username),
      ...(session ? { Session: session } : {}),
    };
    return (await call(operation, body, signal)) as AuthOutput;
  };
  const initiate = (
    flow: string,
    params: Record<string, string>,
    username: string,
    signal: AbortSignal,
    session?: string,
  ) => post('InitiateAuth', flow, params, username, signal, session);
  const send = (
    name: string,
    session: string | undefined,
    params: Record<string, string>,
    username: string,
    signal: AbortSignal,
  ) => post('RespondToAuthChallenge', name, { USERNAME: username, ...params }, username, signal, session);

  const respond = async (
    name: string,
    session: string | undefined,
    params: Record<string, string>,
    username: string,
    signal: AbortSignal,
  ) => finish(await send(name, session, params, username, signal), username, signal);

  /**
   * Every Cognito answer of a sign-in ends here: DEVICE_SRP_AUTH is answered (it may follow any
   * password step), and a new device (`NewDeviceMetadata`) is confirmed and kept.
   */
  async function finish(first: AuthOutput, username: string, signal: AbortSignal): Promise<SignInStep> {
    let out = first;
    if (out.ChallengeName === 'DEVICE_SRP_AUTH' && devices) {
      out = await (await devices()).prove(out, username, (n, session, p, who) => send(n, session, p, who, signal));
    }
    const step = stepFrom(out, username);
    const metadata = out.AuthenticationResult?.NewDeviceMetadata;
    if (devices && metadata && 'accessToken' in step) {
      // The record is the signed-in user's (the token's `username`, its owner), under the name typed too.
      const owner = lastUsername ?? username;
      const names = [username, typedNames.get(username) ?? username];
      await (await devices().catch(() => undefined))?.confirm(metadata, step.accessToken, owner, names, signal);
    }
    return step;
  }

  /** Tokens or the next challenge; `username` is the one the caller signed in with. */
  function stepFrom(out: AuthOutput, username: string): SignInStep {
    const name = out.ChallengeName;
    if (name) {
      const known = CHALLENGES[name];
      if (!known) throw unhandled(name);
      if (!out.Session) throw new AuthError('Service', `${name} came without a session`);
      const p = out.ChallengeParameters ?? {};
      const step: SignInChallenge = {
        challenge: known[0],
        challengeName: name,
        session: out.Session,
        username: p['USER_ID_FOR_SRP'] || p['USERNAME'] || username,
      };
      alias(step.username, username);
      const destination = p['CODE_DELIVERY_DESTINATION'];
      if (destination) step.destination = destination;
      const choices = name === 'SELECT_CHALLENGE' ? out.AvailableChallenges : options(p['MFAS_CAN_CHOOSE']);
      if (Array.isArray(choices)) step.options = choices.filter((c) => typeof c === 'string');
      // A choice with nothing to choose from: no answer could be checked against what was offered.
      else if (name === 'SELECT_CHALLENGE') throw new AuthError('Service', 'SELECT_CHALLENGE came without its list');
      const request = p['CREDENTIAL_REQUEST_OPTIONS'];
      if (name === 'WEB_AUTHN') {
        if (!request) throw new AuthError('Service', 'WEB_AUTHN came without CREDENTIAL_REQUEST_OPTIONS');
        step.passkeyRequest = request;
      }
      return step;
    }
    const r = out.AuthenticationResult;
    if (!r?.AccessToken || !r.IdToken || !r.RefreshToken) {
      throw new AuthError('InvalidToken', 'Sign-in answered without tokens');
    }
    lastUsername = claim(r.AccessToken, 'username') ?? username;
    alias(lastUsername, username);
    return { accessToken: r.AccessToken, idToken: r.IdToken, refreshToken: r.RefreshToken };
  }

  /** Notes that `typed` signs in as Cognito's `internal` (bounded: the last few sign-ins). */
  function alias(internal: string, typed: string) {
    if (internal === typed || typedNames.has(typed)) return;
    typedNames.set(internal, typed);
    if (typedNames.size > 8) typedNames.delete(typedNames.keys().next().value ?? '');
  }

  /** The PASSWORD_VERIFIER step of an SRP sign-in (USER_SRP_AUTH, or USER_AUTH's PASSWORD_SRP). */
  async function verifyPassword(first: AuthOutput, a: bigint, username: string, password: string, signal: AbortSignal) {
    if (first.ChallengeName !== 'PASSWORD_VERIFIER') return finish(first, username, signal);
    if (!poolName) throw needsPool();
    const { passwordClaim } = await srp();
    const p = first.ChallengeParameters ?? {};
    const userIdForSrp = p['USER_ID_FOR_SRP'] ?? username;
    alias(userIdForSrp, username);
    const { SALT: salt, SRP_B: srpB, SECRET_BLOCK: secretBlock } = p;
    if (!salt || !srpB || !secretBlock) throw new AuthError('Service', 'PASSWORD_VERIFIER came incomplete');
    let claim: { signature: string; timestamp: string };
    try {
      claim = await passwordClaim({ a, poolName, userIdForSrp, password, salt, srpB, secretBlock });
    } catch (error) {
      throw new AuthError('Service', 'SRP proof failed', { cause: error });
    }
    return respond(
      'PASSWORD_VERIFIER',
      first.Session,
      {
        PASSWORD_CLAIM_SECRET_BLOCK: secretBlock,
        PASSWORD_CLAIM_SIGNATURE: claim.signature,
        TIMESTAMP: claim.timestamp,
      },
      userIdForSrp,
      signal,
    );
  }

  async function signIn(credentials: Credentials, signal: AbortSignal): Promise<SignInStep> {
    const { username, password, session } = credentials;
    if (session !== undefined || password === undefined) {
      // USER_AUTH without a password: ConfirmSignUp's session stands for it (authchart/account's
      // autoSignIn), or Cognito offers a code or a passkey (`preferredChallenge`, else a choice).
      const preferred = credentials.preferredChallenge;
      const params = { USERNAME: username, ...(preferred ? { PREFERRED_CHALLENGE: preferred } : {}) };
      return finish(await initiate('USER_AUTH', params, username, signal, session), username, signal);
    }
    const flow = credentials.authFlow ?? defaultFlow;
    if (flow === 'USER_PASSWORD_AUTH' || (flow === 'USER_AUTH' && !poolName)) {
      const [name, params] =
        flow === 'USER_AUTH'
          ? ['USER_AUTH', { USERNAME: username, PREFERRED_CHALLENGE: 'PASSWORD', PASSWORD: password }]
          : ['USER_PASSWORD_AUTH', { USERNAME: username, PASSWORD: password }];
      return finish(await initiate(name, params, username, signal), username, signal);
    }
    if (!poolName) throw needsPool();
    const { srpStart } = await srp();
    const { a, srpA } = srpStart();
    const first =
      flow === 'USER_AUTH'
        ? await initiate(
            'USER_AUTH',
            { USERNAME: username, PREFERRED_CHALLENGE: 'PASSWORD_SRP', SRP_A: srpA },
            username,
            signal,
          )
        : await initiate('USER_SRP_AUTH', { USERNAME: username, SRP_A: srpA }, username, signal);
    return verifyPassword(first, a, username, password, signal);
  }

  async function respondToChallenge(
    { challenge, answer }: { challenge: SignInChallenge; answer: string },
    signal: AbortSignal,
  ): Promise<SignInStep> {
    const name = challenge.challengeName;
    const known = CHALLENGES[name];
    if (!known) throw unhandled(name);
    if (known[0].startsWith('select') && challenge.options && !challenge.options.includes(answer)) {
      throw new AuthError('InvalidInput', `Choose one of: ${challenge.options.join(', ')}`);
    }
    // A password factor chosen: ask the user for the password before answering Cognito.
    if (name === 'SELECT_CHALLENGE' && (answer === 'PASSWORD' || answer === 'PASSWORD_SRP')) {
      const { options: _offered, ...asked } = challenge;
      return { ...asked, challenge: 'password', challengeName: answer };
    }
    const { username, session } = challenge;
    if (name === 'PASSWORD') {
      return respond('SELECT_CHALLENGE', session, { ANSWER: name, PASSWORD: answer }, username, signal);
    }
    if (name === 'PASSWORD_SRP') {
      if (!poolName) throw needsPool();
      const { a, srpA } = (await srp()).srpStart();
      const first = await send('SELECT_CHALLENGE', session, { ANSWER: name, SRP_A: srpA }, username, signal);
      return verifyPassword(first, a, username, answer, signal);
    }
    return respond(name, session, { [known[1]]: answer }, username, signal);
  }

  const services: AuthServices = {
    clientId,
    ...(issuer ? { issuer } : {}),
    ...(devices ? { devices: deviceRecords(devices) } : {}),
    signIn: (credentials, signal) => twiceIfDeviceGone(() => signIn(credentials, signal)),

    respondToChallenge: (input, signal) =>
      respondToChallenge(input, signal).catch((error: unknown) => afterGoneDevice(error, input, services, signal)),

    async refresh(refreshToken, signal, accessToken) {
      // The access token (decoded only) names the user even after a restore: SECRET_HASH needs it.
      const username = claim(accessToken, 'username') ?? lastUsername;
      if (clientSecret && !username) {
        throw new AuthError('InvalidConfig', 'A refresh with a client secret needs the access token or a sign-in here');
      }
      // Tokens issued to a device refresh only with its key (sent whether or not `devices` is set).
      const deviceKey = claim(accessToken, 'device_key');
      const params = { REFRESH_TOKEN: refreshToken, ...(deviceKey ? { DEVICE_KEY: deviceKey } : {}) };
      const out = await initiate('REFRESH_TOKEN_AUTH', params, username ?? '', signal);
      if (out.ChallengeName) throw unhandled(out.ChallengeName);
      const r = out.AuthenticationResult;
      if (!r?.AccessToken || !r.IdToken) throw new AuthError('InvalidToken', 'Refresh answered without tokens');
      const tokens: Partial<Tokens> = { accessToken: r.AccessToken, idToken: r.IdToken };
      if (r.RefreshToken) tokens.refreshToken = r.RefreshToken;
      return tokens;
    },

    // authchart/account's calls: sent as the calls above are, but never retried; SECRET_HASH on request.
    cognitoCall: (operation, body, signal) => call(operation, body, signal, true),
    secretHash: async (username) =>
      clientSecret ? (await srp()).secretHash(username, clientId, clientSecret) : undefined,
    async globalSignOut(accessToken, signal) {
      await call('GlobalSignOut', { AccessToken: accessToken }, signal);
    },
    async revokeToken(refreshToken, signal) {
      await call(
        'RevokeToken',
        { Token: refreshToken, ClientId: clientId, ClientSecret: clientSecret || undefined },
        signal,
      );
    },
  };
  return services;
}
