/**
 * The user pool behind `fakeCognito()`: users, the refresh tokens issued to them, and what
 * RevokeToken, GlobalSignOut and rotation do to those, with the errors Cognito answers (as
 * authchart's Cognito adapters report them).
 */
import { AuthError, type AuthErrorCode } from '../errors.js';
import type { Clock, Credentials, SignInChallenge, SignInStep, Tokens } from '../services/types.js';
import { fakeTokens, randomPart } from './fake-tokens.js';

/** A user of a test pool (`fakeCognito()` or `startEmbeddedCognito()`). */
export interface TestUser {
  password: string;
  /** User attributes, as ID token claims (`email`, `name`, custom ones). Default `{ email: username }` for an e-mail address. */
  attributes?: Record<string, string>;
  /** The password is temporary (FORCE_CHANGE_PASSWORD): the first sign-in answers the `newPassword` challenge. */
  temporary?: boolean;
}

/** A user of `fakeCognito()`. */
export interface FakeUser extends TestUser {
  /** Both tokens' `sub`; default a random UUID. */
  sub?: string;
}

interface User {
  username: string;
  password: string;
  attributes?: Record<string, string>;
  temporary: boolean;
  sub: string;
}

/** What one sign-in started: its refresh token, until revoked or (rotation) replaced. */
interface Grant {
  username: string;
  revoked: boolean;
  replaced: boolean;
}

export interface PoolConfig {
  clientId: string;
  issuer: string;
  validitySeconds: number;
  rotate: boolean;
  revocable: boolean;
  clock: Clock;
}

/** How long a challenge's session lasts (Cognito: 3 minutes). */
const CHALLENGE_MS = 180_000;
const ADMIN_SCOPE = 'aws.cognito.signin.user.admin';

function refused(operation: string, exception: string, message: string, code: AuthErrorCode): AuthError {
  return new AuthError(code, `${operation} was refused by Cognito: ${exception}: ${message}`, {
    serviceName: exception,
  });
}

export function createUserPool(config: PoolConfig) {
  const users = new Map<string, User>();
  const grants = new Map<string, Grant>();
  const accessGrants = new Map<string, { grant: Grant; exp: number }>();
  const challenges = new Map<string, { username: string; expiresAt: number }>();

  function user(username: string): User {
    const found = users.get(username);
    if (!found) throw new AuthError('UserNotFound', 'fakeCognito: no such user (add it with users or addUser)');
    return found;
  }

  /** Tokens for `u`: a new grant (sign-in, rotation), or new access and ID tokens for `kept`, a refresh token's. */
  function issue(u: User, kept?: { grant: Grant; refreshToken: string }): Tokens {
    const grant = kept?.grant ?? { username: u.username, revoked: false, replaced: false };
    const now = Math.floor(config.clock.now() / 1000);
    const tokens = fakeTokens({
      username: u.username,
      sub: u.sub,
      clientId: config.clientId,
      issuer: config.issuer,
      now,
      expiresIn: config.validitySeconds,
      revocable: config.revocable,
      scope: ADMIN_SCOPE,
      ...(u.attributes === undefined ? {} : { attributes: u.attributes }),
      ...(kept === undefined ? {} : { refreshToken: kept.refreshToken }),
    });
    grants.set(tokens.refreshToken, grant);
    accessGrants.set(tokens.accessToken, { grant, exp: now + config.validitySeconds });
    return tokens;
  }

  return {
    user,
    issue,
    addUser(username: string, init: string | FakeUser): void {
      const u = typeof init === 'string' ? { password: init } : init;
      users.set(username, {
        username,
        password: u.password,
        ...(u.attributes === undefined ? {} : { attributes: u.attributes }),
        temporary: u.temporary === true,
        sub: u.sub ?? globalThis.crypto.randomUUID(),
      });
    },

    signIn(input: Credentials): SignInStep {
      const u = users.get(input.username);
      // PreventUserExistenceErrors (the default of new app clients): an unknown user reads as a wrong password.
      if (!u || u.password !== input.password) {
        throw refused('InitiateAuth', 'NotAuthorizedException', 'Incorrect username or password.', 'NotAuthorized');
      }
      if (!u.temporary) return issue(u);
      const session = randomPart(48);
      challenges.set(session, { username: u.username, expiresAt: config.clock.now() + CHALLENGE_MS });
      return { challenge: 'newPassword', challengeName: 'NEW_PASSWORD_REQUIRED', session, username: u.username };
    },

    answer({ challenge, answer }: { challenge: SignInChallenge; answer: string }): SignInStep {
      const pending = challenges.get(challenge.session);
      if (!pending || pending.expiresAt <= config.clock.now()) {
        throw refused(
          'RespondToAuthChallenge',
          'NotAuthorizedException',
          'Invalid session for the user, session is expired.',
          'Expired',
        );
      }
      if (answer.length < 8) {
        const message = 'Password does not conform to policy: Password not long enough';
        throw refused('RespondToAuthChallenge', 'InvalidPasswordException', message, 'InvalidPassword');
      }
      challenges.delete(challenge.session);
      const u = user(pending.username);
      u.password = answer;
      u.temporary = false;
      return issue(u);
    },

    refresh(refreshToken: string): Partial<Tokens> {
      const grant = grants.get(refreshToken);
      if (!grant || grant.replaced) {
        throw refused('InitiateAuth', 'NotAuthorizedException', 'Invalid Refresh Token', 'NotAuthorized');
      }
      if (grant.revoked) {
        throw refused('InitiateAuth', 'NotAuthorizedException', 'Refresh Token has been revoked', 'NotAuthorized');
      }
      if (!config.rotate) {
        const { accessToken, idToken } = issue(user(grant.username), { grant, refreshToken });
        return { accessToken, idToken };
      }
      grant.replaced = true;
      return issue(user(grant.username));
    },

    globalSignOut(accessToken: string): void {
      const held = accessGrants.get(accessToken);
      if (!held) throw refused('GlobalSignOut', 'NotAuthorizedException', 'Invalid Access Token', 'NotAuthorized');
      if (held.grant.revoked) {
        throw refused('GlobalSignOut', 'NotAuthorizedException', 'Access Token has been revoked', 'NotAuthorized');
      }
      if (held.exp * 1000 <= config.clock.now()) {
        throw refused('GlobalSignOut', 'NotAuthorizedException', 'Access Token has expired', 'NotAuthorized');
      }
      for (const grant of grants.values()) if (grant.username === held.grant.username) grant.revoked = true;
    },

    revoke(refreshToken: string): void {
      if (!config.revocable) {
        const message = 'Token revocation is not enabled for this app client.';
        throw refused('RevokeToken', 'UnsupportedOperationException', message, 'RevocationUnsupported');
      }
      // RFC 7009: revoking a token the server does not know is not an error.
      const grant = grants.get(refreshToken);
      if (grant) grant.revoked = true;
    },

    isRevoked(token: string): boolean {
      const grant = grants.get(token);
      if (grant) return grant.revoked || grant.replaced;
      return accessGrants.get(token)?.grant.revoked ?? false;
    },
  };
}
