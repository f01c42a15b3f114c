/**
 * The sign-in, challenge, refresh and sign-out logic shared by both Cognito transports. A transport
 * is one function that sends a Cognito JSON request and answers its JSON (or throws `AuthError`).
 */
import { AuthError } from '../../errors.js';
import type {
  AuthFlow,
  AuthServices,
  ChallengeKind,
  SignInChallenge,
  SignInStep,
  Tokens,
} from '../../services/types.js';
import { jwtClaims } from '../../session/jwt.js';
import { poolIssuer } from '../http.js';
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
}

interface AuthOutput {
  ChallengeName?: string;
  ChallengeParameters?: Record<string, string>;
  Session?: string;
  AuthenticationResult?: { AccessToken?: string; IdToken?: string; RefreshToken?: string };
}

/** Cognito challenge name → what the app asks the user for, and the ChallengeResponses key of the answer. */
const CHALLENGES: Record<string, [ChallengeKind, string]> = {
  NEW_PASSWORD_REQUIRED: ['newPassword', 'NEW_PASSWORD'],
  SOFTWARE_TOKEN_MFA: ['totpCode', 'SOFTWARE_TOKEN_MFA_CODE'],
  SMS_MFA: ['smsCode', 'SMS_MFA_CODE'],
  EMAIL_OTP: ['emailCode', 'EMAIL_OTP_CODE'],
  SELECT_MFA_TYPE: ['selectMfa', 'ANSWER'],
};

function unhandled(name: string): AuthError {
  return new AuthError('ChallengeRequired', `Unhandled challenge ${name}`, {
    challengeName: name,
  });
}

/** The username claim of an access token (Cognito's internal username), for refresh's SECRET_HASH. */
function usernameClaim(accessToken: string): string | undefined {
  try {
    const username = jwtClaims(accessToken, 'access token')['username'];
    return typeof username === 'string' ? username : undefined;
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

  /** `params` plus SECRET_HASH for `username` when the client has a secret. */
  async function secured(params: Record<string, string>, username: string) {
    if (clientSecret) params['SECRET_HASH'] = await (await srp()).secretHash(username, clientId, clientSecret);
    return params;
  }

  const initiate = async (
    flow: string,
    params: Record<string, string>,
    username: string,
    signal: AbortSignal,
    session?: string,
  ) =>
    (await call(
      'InitiateAuth',
      {
        AuthFlow: flow,
        ClientId: clientId,
        AuthParameters: await secured(params, username),
        Session: session, // undefined: not sent (JSON leaves it out)
      },
      signal,
    )) as AuthOutput;

  const respond = async (
    name: string,
    session: string | undefined,
    params: Record<string, string>,
    username: string,
    signal: AbortSignal,
  ) =>
    stepFrom(
      (await call(
        'RespondToAuthChallenge',
        {
          ChallengeName: name,
          ClientId: clientId,
          ChallengeResponses: await secured({ USERNAME: username, ...params }, username),
          Session: session || undefined,
        },
        signal,
      )) as AuthOutput,
      username,
    );

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
      const destination = p['CODE_DELIVERY_DESTINATION'];
      if (destination) step.destination = destination;
      const choices = options(p['MFAS_CAN_CHOOSE']);
      if (choices) step.options = choices;
      return step;
    }
    const r = out.AuthenticationResult;
    if (!r?.AccessToken || !r.IdToken || !r.RefreshToken) {
      throw new AuthError('InvalidToken', 'Sign-in answered without tokens');
    }
    lastUsername = usernameClaim(r.AccessToken) ?? username;
    return { accessToken: r.AccessToken, idToken: r.IdToken, refreshToken: r.RefreshToken };
  }

  return {
    clientId,
    ...(issuer ? { issuer } : {}),
    async signIn(credentials, signal) {
      const { username, password } = credentials;
      const flow = credentials.authFlow ?? defaultFlow;
      if (flow === 'USER_AUTH' || flow === 'USER_PASSWORD_AUTH') {
        // With USER_AUTH, ConfirmSignUp's session stands for the password (authchart/account's autoSignIn).
        const params: Record<string, string> = { USERNAME: username };
        if (flow !== 'USER_AUTH') params['PASSWORD'] = password as string;
        return stepFrom(await initiate(flow, params, username, signal, credentials.session), username);
      }
      if (!poolName) throw needsPool();
      const { srpStart, passwordClaim } = await srp();
      const { a, srpA } = srpStart();
      const first = await initiate('USER_SRP_AUTH', { USERNAME: username, SRP_A: srpA }, username, signal);
      if (first.ChallengeName !== 'PASSWORD_VERIFIER') return stepFrom(first, username);
      const p = first.ChallengeParameters ?? {};
      const userIdForSrp = p['USER_ID_FOR_SRP'] ?? username;
      const { SALT: salt, SRP_B: srpB, SECRET_BLOCK: secretBlock } = p;
      if (!salt || !srpB || !secretBlock) throw new AuthError('Service', 'PASSWORD_VERIFIER came incomplete');
      let claim: { signature: string; timestamp: string };
      try {
        claim = await passwordClaim({
          a,
          poolName,
          userIdForSrp,
          password: password as string,
          salt,
          srpB,
          secretBlock,
        });
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
    },

    async respondToChallenge({ challenge, answer }, signal) {
      const known = CHALLENGES[challenge.challengeName];
      if (!known) throw unhandled(challenge.challengeName);
      if (known[0] === 'selectMfa' && challenge.options && !challenge.options.includes(answer)) {
        throw new AuthError('InvalidInput', `Choose one of: ${challenge.options.join(', ')}`);
      }
      return respond(challenge.challengeName, challenge.session, { [known[1]]: answer }, challenge.username, signal);
    },

    async refresh(refreshToken, signal) {
      // Documented limitation (docs/cognito.md): with a secret, the username is known only after a sign-in here.
      if (clientSecret && !lastUsername) {
        throw new AuthError('InvalidConfig', 'A refresh with a client secret needs a sign-in here first');
      }
      const out = await initiate('REFRESH_TOKEN_AUTH', { REFRESH_TOKEN: refreshToken }, lastUsername ?? '', signal);
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
}
