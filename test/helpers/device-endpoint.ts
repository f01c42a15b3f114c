/**
 * A user pool with device tracking, answered as Cognito documents it and checked as Cognito checks
 * it: USER_SRP_AUTH (a real SRP proof, `srpServer`) or USER_PASSWORD_AUTH, then TOTP MFA
 * (SOFTWARE_TOKEN_MFA) unless the sign-in came from a remembered device, which must prove its
 * device password instead (DEVICE_SRP_AUTH, DEVICE_PASSWORD_VERIFIER, `deviceSrpServer`: it derives
 * the verifier ConfirmDevice sent and checks the signature). A sign-in without DEVICE_KEY gets
 * `NewDeviceMetadata`, and its tokens are bound to that device: REFRESH_TOKEN_AUTH refuses them
 * without the DEVICE_KEY. ConfirmDevice, UpdateDeviceStatus, ForgetDevice and ListDevices act on the
 * devices of the access token's user. Nothing is accepted that was not checked.
 */
import { randomBytes } from 'node:crypto';
import { jwtClaims } from '../../src/session/jwt.js';
import { type ConfirmDeviceInput, deviceSrpServer, srpServer } from './srp-server.js';
import { makeTokens } from './tokens.js';
import { CognitoException } from './user-auth-endpoint.js';

export interface DeviceUser {
  /** Cognito's own username (USER_ID_FOR_SRP, the access token's `username`). */
  userId: string;
  /** An alias that signs in too (the e-mail address). */
  email: string;
  password: string;
  /** The TOTP code the authenticator app shows (fixed here: the check is that it is asked and compared). */
  totpCode: string;
}

export interface DeviceEndpointOptions {
  clientId: string;
  userPoolId: string;
  user: DeviceUser;
  /** The pool's "remember devices": `always`, or `optIn` (UpdateDeviceStatus `remembered`). */
  remember: 'always' | 'optIn';
}

export interface TrackedDevice {
  username: string;
  name?: string;
  status: 'new' | 'not_remembered' | 'remembered';
  createdAt: number;
  lastAuthenticatedAt: number;
}

const refuse = (type: string, message: string) => new CognitoException(type, message);

export function deviceEndpoint(opts: DeviceEndpointOptions) {
  const { user } = opts;
  const poolName = opts.userPoolId.split('_')[1] ?? '';
  const issuer = `https://cognito-idp.eu-west-1.amazonaws.com/${opts.userPoolId}`;
  const srpDevices = deviceSrpServer();
  const devices = new Map<string, TrackedDevice>();
  /** Open challenge sessions: what the next answer must be. */
  const sessions = new Map<
    string,
    { expect: string; deviceKey?: string | undefined; verify?: (r: Record<string, string | undefined>) => boolean }
  >();
  /** Refresh tokens alive, and the device each is bound to. */
  const refreshTokens = new Map<string, { deviceKey?: string }>();
  const calls: { target: string; body: Record<string, unknown> }[] = [];
  /** Every ConfirmDevice's verifier config, as received (the test looks for it in what it can observe). */
  const verifiers: ConfirmDeviceInput['DeviceSecretVerifierConfig'][] = [];
  const faults = new Map<string, CognitoException>();

  const userOf = (username: unknown) => {
    if (username !== user.userId && username !== user.email) {
      throw refuse('NotAuthorizedException', 'Incorrect username or password.');
    }
    return user;
  };
  const open = (
    expect: string,
    out: Record<string, unknown>,
    extra: { deviceKey?: string | undefined; verify?: (r: Record<string, string | undefined>) => boolean } = {},
  ) => {
    const session = randomBytes(32).toString('base64');
    sessions.set(session, { expect, ...extra });
    return { ...out, Session: session };
  };

  /** Tokens for the user, bound to `deviceKey` (a remembered device), or to a new device. */
  function tokens(deviceKey: string | undefined) {
    let metadata: { DeviceGroupKey: string; DeviceKey: string } | undefined;
    let bound = deviceKey;
    if (!bound || !devices.has(bound)) {
      metadata = srpDevices.newDevice(user.userId);
      devices.set(metadata.DeviceKey, {
        username: user.userId,
        status: 'new',
        createdAt: now(),
        lastAuthenticatedAt: now(),
      });
      bound = metadata.DeviceKey;
    }
    const device = devices.get(bound);
    if (device) device.lastAuthenticatedAt = now();
    const t = issue(bound);
    refreshTokens.set(t.refreshToken, { deviceKey: bound });
    return {
      AuthenticationResult: {
        AccessToken: t.accessToken,
        IdToken: t.idToken,
        RefreshToken: t.refreshToken,
        ...(metadata ? { NewDeviceMetadata: metadata } : {}),
      },
      ChallengeParameters: {},
    };
  }
  const now = () => Math.floor(Date.now() / 1000);
  const issue = (deviceKey: string | undefined) =>
    makeTokens({
      username: user.userId,
      attributes: { email: user.email },
      clientId: opts.clientId,
      issuer,
      revocable: true,
      scope: 'aws.cognito.signin.user.admin',
      ...(deviceKey ? { accessClaims: { device_key: deviceKey } } : {}),
    });

  /** The password is proven: a remembered device proves itself next, any other sign-in answers MFA. */
  function afterPassword(deviceKey: string | undefined) {
    const device = deviceKey === undefined ? undefined : devices.get(deviceKey);
    // A key Cognito no longer knows is asked for all the same: DEVICE_SRP_AUTH then fails ResourceNotFound.
    if (deviceKey !== undefined && (!device || device.status === 'remembered')) {
      return open(
        'DEVICE_SRP_AUTH',
        { ChallengeName: 'DEVICE_SRP_AUTH', ChallengeParameters: { USERNAME: user.userId } },
        { deviceKey },
      );
    }
    return open(
      'SOFTWARE_TOKEN_MFA',
      { ChallengeName: 'SOFTWARE_TOKEN_MFA', ChallengeParameters: { USER_ID_FOR_SRP: user.userId } },
      device ? { deviceKey } : {},
    );
  }

  function signedIn(body: Record<string, unknown>): string {
    const token = body['AccessToken'];
    const username = typeof token === 'string' ? jwtClaims(token, 'access token')['username'] : undefined;
    if (username !== user.userId) throw refuse('NotAuthorizedException', 'Invalid Access Token');
    return username;
  }
  function ownDevice(body: Record<string, unknown>) {
    const username = signedIn(body);
    const key = body['DeviceKey'];
    const device = typeof key === 'string' ? devices.get(key) : undefined;
    if (!device || device.username !== username) throw refuse('ResourceNotFoundException', 'Device does not exist.');
    return { key: key as string, device };
  }

  const handlers: Record<string, (body: Record<string, unknown>) => unknown> = {
    InitiateAuth(body) {
      if (body['ClientId'] !== opts.clientId)
        throw refuse('ResourceNotFoundException', 'User pool client does not exist.');
      const p = (body['AuthParameters'] ?? {}) as Record<string, string | undefined>;
      if (body['AuthFlow'] === 'REFRESH_TOKEN_AUTH') {
        const bound = refreshTokens.get(p['REFRESH_TOKEN'] ?? '');
        if (!bound) throw refuse('NotAuthorizedException', 'Invalid Refresh Token');
        if (bound.deviceKey && p['DEVICE_KEY'] !== bound.deviceKey) {
          throw refuse('NotAuthorizedException', 'Invalid Refresh Token');
        }
        const t = issue(bound.deviceKey);
        return { AuthenticationResult: { AccessToken: t.accessToken, IdToken: t.idToken }, ChallengeParameters: {} };
      }
      userOf(p['USERNAME']);
      if (body['AuthFlow'] === 'USER_PASSWORD_AUTH') {
        if (p['PASSWORD'] !== user.password) throw refuse('NotAuthorizedException', 'Incorrect username or password.');
        return afterPassword(p['DEVICE_KEY']);
      }
      if (body['AuthFlow'] !== 'USER_SRP_AUTH') throw refuse('InvalidParameterException', 'Unsupported flow');
      const srp = srpServer({ poolName, userId: user.userId, password: user.password });
      const parameters = srp.begin(p['SRP_A'] ?? '');
      return open(
        'PASSWORD_VERIFIER',
        { ChallengeName: 'PASSWORD_VERIFIER', ChallengeParameters: parameters },
        { verify: srp.verify },
      );
    },
    RespondToAuthChallenge(body) {
      if (body['ClientId'] !== opts.clientId)
        throw refuse('ResourceNotFoundException', 'User pool client does not exist.');
      const session = typeof body['Session'] === 'string' ? sessions.get(body['Session']) : undefined;
      if (!session) throw refuse('NotAuthorizedException', 'Invalid session for the user.');
      sessions.delete(body['Session'] as string);
      const r = (body['ChallengeResponses'] ?? {}) as Record<string, string | undefined>;
      if (body['ChallengeName'] !== session.expect) throw refuse('InvalidParameterException', 'Wrong challenge');
      userOf(r['USERNAME']);
      switch (session.expect) {
        case 'PASSWORD_VERIFIER':
          if (!session.verify?.(r)) throw refuse('NotAuthorizedException', 'Incorrect username or password.');
          return afterPassword(r['DEVICE_KEY']);
        case 'SOFTWARE_TOKEN_MFA':
          if (r['SOFTWARE_TOKEN_MFA_CODE'] !== user.totpCode) {
            throw refuse('CodeMismatchException', 'Invalid code received for user');
          }
          // A device Cognito knows (sent again with this answer) gets no new one.
          return tokens(r['DEVICE_KEY'] === session.deviceKey ? session.deviceKey : undefined);
        case 'DEVICE_SRP_AUTH': {
          if (r['DEVICE_KEY'] !== session.deviceKey || !devices.has(r['DEVICE_KEY'] ?? '')) {
            throw refuse('ResourceNotFoundException', 'Device does not exist.');
          }
          let parameters: Record<string, string>;
          try {
            parameters = srpDevices.begin(r);
          } catch (error) {
            throw refuse('NotAuthorizedException', `Device authentication failed: ${String(error)}`);
          }
          return open(
            'DEVICE_PASSWORD_VERIFIER',
            { ChallengeName: 'DEVICE_PASSWORD_VERIFIER', ChallengeParameters: parameters },
            { deviceKey: r['DEVICE_KEY'] },
          );
        }
        case 'DEVICE_PASSWORD_VERIFIER':
          if (r['DEVICE_KEY'] !== session.deviceKey || !srpDevices.verify(r)) {
            throw refuse('NotAuthorizedException', 'Incorrect device password.');
          }
          return tokens(session.deviceKey);
      }
      throw refuse('InvalidParameterException', 'Unexpected challenge');
    },
    ConfirmDevice(body) {
      const { key, device } = ownDevice(body);
      const config = body['DeviceSecretVerifierConfig'] as ConfirmDeviceInput['DeviceSecretVerifierConfig'];
      verifiers.push(config);
      try {
        srpDevices.confirmDevice({ DeviceKey: key, DeviceSecretVerifierConfig: config });
      } catch (error) {
        throw refuse('InvalidParameterException', String(error));
      }
      if (typeof body['DeviceName'] === 'string') device.name = body['DeviceName'];
      device.status = opts.remember === 'always' ? 'remembered' : 'not_remembered';
      return { UserConfirmationNecessary: opts.remember !== 'always' };
    },
    UpdateDeviceStatus(body) {
      const { device } = ownDevice(body);
      const status = body['DeviceRememberedStatus'];
      if (status !== 'remembered' && status !== 'not_remembered') throw refuse('InvalidParameterException', 'status');
      if (device.status === 'new') throw refuse('InvalidParameterException', 'Device is not confirmed.');
      device.status = status;
      return {};
    },
    ForgetDevice(body) {
      const { key } = ownDevice(body);
      devices.delete(key);
      return {};
    },
    ListDevices(body) {
      const username = signedIn(body);
      const limit = typeof body['Limit'] === 'number' ? body['Limit'] : 60;
      const all = [...devices].filter(([, d]) => d.username === username && d.status !== 'new');
      const start = Number(body['PaginationToken'] ?? 0);
      const page = all.slice(start, start + limit);
      return {
        Devices: page.map(([key, d]) => ({
          DeviceKey: key,
          DeviceAttributes: [
            ...(d.name ? [{ Name: 'device_name', Value: d.name }] : []),
            { Name: 'device_status', Value: d.status === 'remembered' ? 'valid' : 'not_remembered' },
          ],
          DeviceCreateDate: d.createdAt,
          DeviceLastModifiedDate: d.createdAt,
          DeviceLastAuthenticatedDate: d.lastAuthenticatedAt,
        })),
        ...(start + limit < all.length ? { PaginationToken: String(start + limit) } : {}),
      };
    },
    GlobalSignOut(body) {
      signedIn(body);
      refreshTokens.clear();
      return {};
    },
    RevokeToken(body) {
      refreshTokens.delete(String(body['Token']));
      return {};
    },
  };

  return {
    calls,
    devices,
    verifiers,
    /** The next `operation` answers this exception (once). */
    failNext(operation: string, type: string, message: string) {
      faults.set(operation, refuse(type, message));
    },
    /** Forgets a device as another app or the console would (not through this instance). */
    forgetElsewhere(deviceKey: string) {
      devices.delete(deviceKey);
    },
    /** Cognito's answer to one call: `{ status, body }`, an exception as Cognito's JSON error. */
    async handle(operation: string, body: Record<string, unknown>): Promise<{ status: number; body: unknown }> {
      calls.push({ target: operation, body });
      try {
        const fault = faults.get(operation);
        if (fault) {
          faults.delete(operation);
          throw fault;
        }
        const handler = handlers[operation];
        if (!handler) throw refuse('UnsupportedOperationException', operation);
        return { status: 200, body: handler(body) };
      } catch (error) {
        if (error instanceof CognitoException) {
          return { status: error.status, body: { __type: error.type, message: error.message } };
        }
        throw error;
      }
    },
  };
}

export type DeviceEndpoint = ReturnType<typeof deviceEndpoint>;
