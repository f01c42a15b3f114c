/**
 * The calls cognito-local lacks, answered as Cognito documents them and checked as Cognito checks
 * them: `USER_AUTH` (SELECT_CHALLENGE, PASSWORD, PASSWORD_SRP with a real SRP proof, EMAIL_OTP,
 * SMS_OTP, WEB_AUTHN) and the passkey calls (StartWebAuthnRegistration,
 * CompleteWebAuthnRegistration, ListWebAuthnCredentials, DeleteWebAuthnCredential), whose
 * ceremonies `@simplewebauthn/server` verifies. It accepts nothing it did not check: a wrong code,
 * proof, signature, challenge or session is refused with Cognito's exception.
 *
 * `issue(username)` makes the tokens a finished sign-in gets (fake ones in unit tests, genuine
 * cognito-local ones in the browser test).
 */
import { randomBytes, randomInt } from 'node:crypto';
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type WebAuthnCredential,
} from '@simplewebauthn/server';
import { srpServer } from './srp-server.js';

export interface EndpointUser {
  password: string;
  /** USER_ID_FOR_SRP (Cognito's internal username). */
  userId?: string;
  email?: string;
  phone?: string;
}

export interface Passkey {
  credential: WebAuthnCredential;
  createdAt: number;
}

type Expect =
  | { name: 'SELECT_CHALLENGE'; available: string[] }
  | { name: 'EMAIL_OTP' | 'SMS_OTP'; code: string; tries: number }
  | { name: 'PASSWORD_VERIFIER'; verify: (r: Record<string, string | undefined>) => boolean }
  | { name: 'WEB_AUTHN'; challenge: string };

export interface EndpointOptions {
  clientId: string;
  poolName: string;
  rpId: string;
  origin: string;
  users: Record<string, EndpointUser>;
  issue(username: string): Promise<{ AccessToken: string; IdToken: string; RefreshToken: string }>;
  /** The username an access token belongs to (its `username` claim), or null if it is not one of ours. */
  userOfAccessToken(token: string): string | null;
}

export class CognitoException extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}
const refuse = (type: string, message: string) => new CognitoException(type, message);

const masked = (value: string) => `${value.slice(0, 1)}***${value.slice(-4)}`;

export function userAuthEndpoint(opts: EndpointOptions) {
  const sessions = new Map<string, { username: string; expect: Expect }>();
  const passkeys = new Map<string, Passkey[]>();
  const registrations = new Map<string, string>();
  /** Codes sent, newest last: what a user would read in their mail or texts. */
  const sent: { username: string; medium: 'EMAIL' | 'SMS'; code: string }[] = [];
  const calls: { target: string; body: Record<string, unknown> }[] = [];

  const userOf = (username: unknown) => {
    const user = typeof username === 'string' ? opts.users[username] : undefined;
    if (!user) throw refuse('NotAuthorizedException', 'Incorrect username or password.');
    return user;
  };
  const available = (username: string) => {
    const user = userOf(username);
    return [
      'PASSWORD',
      'PASSWORD_SRP',
      ...(user.email ? ['EMAIL_OTP'] : []),
      ...(user.phone ? ['SMS_OTP'] : []),
      ...(passkeys.get(username)?.length ? ['WEB_AUTHN'] : []),
    ];
  };
  const tokens = async (username: string) => ({
    AuthenticationResult: await opts.issue(username),
    ChallengeParameters: {},
  });

  function open(username: string, expect: Expect, out: Record<string, unknown>) {
    const session = randomBytes(48).toString('base64');
    sessions.set(session, { username, expect });
    return { ...out, Session: session };
  }

  /** Starts `factor` for `username` (InitiateAuth's PREFERRED_CHALLENGE, or SELECT_CHALLENGE's ANSWER). */
  async function start(username: string, factor: string, params: Record<string, unknown>) {
    const user = userOf(username);
    if (!available(username).includes(factor)) throw refuse('InvalidParameterException', `${factor} is not available`);
    if (factor === 'PASSWORD') {
      if (params['PASSWORD'] !== user.password)
        throw refuse('NotAuthorizedException', 'Incorrect username or password.');
      return tokens(username);
    }
    if (factor === 'PASSWORD_SRP') {
      if (typeof params['SRP_A'] !== 'string') throw refuse('InvalidParameterException', 'SRP_A is required');
      const srp = srpServer({ poolName: opts.poolName, userId: user.userId ?? username, password: user.password });
      const parameters = srp.begin(params['SRP_A']);
      return open(
        username,
        { name: 'PASSWORD_VERIFIER', verify: srp.verify },
        { ChallengeName: 'PASSWORD_VERIFIER', ChallengeParameters: parameters },
      );
    }
    if (factor === 'EMAIL_OTP' || factor === 'SMS_OTP') {
      const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
      const medium = factor === 'EMAIL_OTP' ? 'EMAIL' : 'SMS';
      sent.push({ username, medium, code });
      const destination = masked((medium === 'EMAIL' ? user.email : user.phone) ?? '');
      return open(
        username,
        { name: factor, code, tries: 0 },
        {
          ChallengeName: factor,
          ChallengeParameters: { CODE_DELIVERY_DELIVERY_MEDIUM: medium, CODE_DELIVERY_DESTINATION: destination },
        },
      );
    }
    const request = await generateAuthenticationOptions({
      rpID: opts.rpId,
      allowCredentials: (passkeys.get(username) ?? []).map((p) => ({ id: p.credential.id })),
      userVerification: 'preferred',
    });
    return open(
      username,
      { name: 'WEB_AUTHN', challenge: request.challenge },
      { ChallengeName: 'WEB_AUTHN', ChallengeParameters: { CREDENTIAL_REQUEST_OPTIONS: JSON.stringify(request) } },
    );
  }

  async function initiateAuth(body: Record<string, unknown>) {
    if (body['ClientId'] !== opts.clientId)
      throw refuse('ResourceNotFoundException', 'User pool client does not exist.');
    if (body['AuthFlow'] !== 'USER_AUTH')
      throw refuse('InvalidParameterException', 'This endpoint answers USER_AUTH only');
    const params = (body['AuthParameters'] ?? {}) as Record<string, unknown>;
    const username = params['USERNAME'];
    if (typeof username !== 'string') throw refuse('InvalidParameterException', 'USERNAME is required');
    userOf(username);
    const preferred = params['PREFERRED_CHALLENGE'];
    // A preferred factor the user lacks falls back to the choice, as Cognito does.
    if (typeof preferred === 'string' && available(username).includes(preferred))
      return start(username, preferred, params);
    return open(
      username,
      { name: 'SELECT_CHALLENGE', available: available(username) },
      { ChallengeName: 'SELECT_CHALLENGE', AvailableChallenges: available(username), ChallengeParameters: {} },
    );
  }

  async function respond(body: Record<string, unknown>) {
    if (body['ClientId'] !== opts.clientId)
      throw refuse('ResourceNotFoundException', 'User pool client does not exist.');
    const open = typeof body['Session'] === 'string' ? sessions.get(body['Session']) : undefined;
    if (!open) throw refuse('NotAuthorizedException', 'Invalid session for the user.');
    const r = (body['ChallengeResponses'] ?? {}) as Record<string, string | undefined>;
    const { username, expect } = open;
    const userId = opts.users[username]?.userId ?? username;
    if (body['ChallengeName'] !== expect.name || (r['USERNAME'] !== username && r['USERNAME'] !== userId)) {
      throw refuse('InvalidParameterException', 'Challenge name or USERNAME does not match the session');
    }
    sessions.delete(body['Session'] as string);
    if (expect.name === 'SELECT_CHALLENGE') return start(username, r['ANSWER'] ?? '', r);
    if (expect.name === 'PASSWORD_VERIFIER') {
      if (!expect.verify(r)) throw refuse('NotAuthorizedException', 'Incorrect username or password.');
      return tokens(username);
    }
    if (expect.name === 'EMAIL_OTP' || expect.name === 'SMS_OTP') {
      if (r[`${expect.name}_CODE`] === expect.code) return tokens(username);
      // The same session takes up to three tries, as Cognito's does.
      if (++expect.tries < 3) sessions.set(body['Session'] as string, open);
      throw refuse('CodeMismatchException', 'Invalid code or auth state for the user.');
    }
    if (expect.name !== 'WEB_AUTHN') throw refuse('InvalidParameterException', 'Unexpected challenge');
    const credential = JSON.parse(r['CREDENTIAL'] ?? 'null') as { id?: string } | null;
    const passkey = passkeys.get(username)?.find((p) => p.credential.id === credential?.id);
    if (!credential || !passkey) throw refuse('NotAuthorizedException', 'Unknown credential');
    const { verified, authenticationInfo } = await verifyAuthenticationResponse({
      response: credential as never,
      expectedChallenge: expect.challenge,
      expectedOrigin: opts.origin,
      expectedRPID: opts.rpId,
      credential: passkey.credential,
    }).catch((error: unknown) => {
      throw refuse('NotAuthorizedException', `The passkey assertion failed: ${String(error)}`);
    });
    if (!verified) throw refuse('NotAuthorizedException', 'The passkey assertion failed');
    passkey.credential.counter = authenticationInfo.newCounter;
    return tokens(username);
  }

  function signedIn(body: Record<string, unknown>): string {
    const username = typeof body['AccessToken'] === 'string' ? opts.userOfAccessToken(body['AccessToken']) : null;
    if (!username || !opts.users[username]) throw refuse('NotAuthorizedException', 'Invalid Access Token');
    return username;
  }

  const handlers: Record<string, (body: Record<string, unknown>) => Promise<unknown>> = {
    InitiateAuth: initiateAuth,
    RespondToAuthChallenge: respond,
    async StartWebAuthnRegistration(body) {
      const username = signedIn(body);
      const options = await generateRegistrationOptions({
        rpName: 'authchart test',
        rpID: opts.rpId,
        userName: username,
        attestationType: 'none',
        excludeCredentials: (passkeys.get(username) ?? []).map((p) => ({ id: p.credential.id })),
      });
      registrations.set(username, options.challenge);
      return { CredentialCreationOptions: options };
    },
    async CompleteWebAuthnRegistration(body) {
      const username = signedIn(body);
      const challenge = registrations.get(username);
      if (!challenge) throw refuse('WebAuthnChallengeNotFoundException', 'No registration was started');
      registrations.delete(username);
      const result = await verifyRegistrationResponse({
        response: body['Credential'] as never,
        expectedChallenge: challenge,
        expectedOrigin: opts.origin,
        expectedRPID: opts.rpId,
      }).catch((error: unknown) => {
        throw refuse('WebAuthnClientMismatchException', `The registration failed: ${String(error)}`);
      });
      if (!result.verified) throw refuse('WebAuthnClientMismatchException', 'The registration failed');
      const list = passkeys.get(username) ?? [];
      list.push({ credential: result.registrationInfo.credential, createdAt: Date.now() / 1000 });
      passkeys.set(username, list);
      return {};
    },
    async ListWebAuthnCredentials(body) {
      const username = signedIn(body);
      return {
        Credentials: (passkeys.get(username) ?? []).map((p) => ({
          CredentialId: p.credential.id,
          FriendlyCredentialName: 'Software passkey',
          RelyingPartyId: opts.rpId,
          AuthenticatorAttachment: 'platform',
          AuthenticatorTransports: p.credential.transports ?? [],
          CreatedAt: p.createdAt,
        })),
      };
    },
    async DeleteWebAuthnCredential(body) {
      const username = signedIn(body);
      const list = passkeys.get(username) ?? [];
      const rest = list.filter((p) => p.credential.id !== body['CredentialId']);
      if (rest.length === list.length) throw refuse('ResourceNotFoundException', 'Credential not found');
      passkeys.set(username, rest);
      return {};
    },
  };

  return {
    sent,
    calls,
    passkeys,
    /** Whether this endpoint answers `operation` (the others go to cognito-local). */
    answers: (operation: string) => operation in handlers,
    /** Cognito's answer to one call: `{ status, body }`, an exception as Cognito's JSON error. */
    async handle(operation: string, body: Record<string, unknown>): Promise<{ status: number; body: unknown }> {
      calls.push({ target: operation, body });
      const handler = handlers[operation];
      if (!handler) return { status: 400, body: { __type: 'UnsupportedOperationException', message: operation } };
      try {
        return { status: 200, body: await handler(body) };
      } catch (error) {
        if (error instanceof CognitoException)
          return { status: error.status, body: { __type: error.type, message: error.message } };
        throw error;
      }
    },
  };
}

export type UserAuthEndpoint = ReturnType<typeof userAuthEndpoint>;
