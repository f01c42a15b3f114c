/**
 * Remembered devices (`cognitoServices({ devices })`), loaded with the SRP code at the first sign-in
 * that needs it: the device record in storage, DEVICE_SRP_AUTH and DEVICE_PASSWORD_VERIFIER (SRP with
 * the device group key as pool name), and ConfirmDevice for a sign-in's `NewDeviceMetadata`.
 *
 * The record (`authchart.<clientId>.device.<username>`, one JSON value written in one call) holds the
 * device password: a secret that never leaves this module, in no request, error or answer.
 */
import { AuthError } from '../../errors.js';
import type { DeviceRecordView, TokenStorage } from '../../services/types.js';
import { devicePasswordClaim, deviceVerifier, srpStart } from './srp.js';

/** What the device code sends through: the flows' RespondToAuthChallenge and the raw transport. */
export interface DeviceIo {
  clientId: string;
  storage: Pick<TokenStorage, 'getItem' | 'setItem' | 'removeItem'>;
  /** `DeviceName` for ConfirmDevice. */
  name: string;
  call(
    operation: 'ConfirmDevice',
    body: Record<string, unknown>,
    signal: AbortSignal,
  ): Promise<Record<string, unknown>>;
}

interface DeviceRecord {
  deviceKey: string;
  deviceGroupKey: string;
  devicePassword: string;
  remembered: boolean;
  /** Every username the record is stored under (the one typed, Cognito's own): all are removed together. */
  names: string[];
}

/** Cognito's answer to DEVICE_SRP_AUTH or DEVICE_PASSWORD_VERIFIER, as far as this module reads it. */
export interface ChallengeAnswer {
  ChallengeName?: string;
  ChallengeParameters?: Record<string, string>;
  Session?: string;
}

/** Sends one RespondToAuthChallenge (SECRET_HASH added) and answers Cognito's output. */
export type Respond = (
  name: string,
  session: string | undefined,
  params: Record<string, string>,
  username: string,
) => Promise<ChallengeAnswer>;

/** Thrown when Cognito no longer knows the device: the record is dropped, and the sign-in starts again. */
export class DeviceGone extends Error {
  override readonly name = 'DeviceGone';
}

/**
 * The longest ConfirmDevice may take: it runs inside the sign-in's own bound (`remoteStepMs`, 5 s by
 * default), and a slow one must cost the device, never the sign-in.
 */
export const CONFIRM_DEVICE_MS = 2000;

const isText = (v: unknown, max = 2048): v is string => typeof v === 'string' && v !== '' && v.length <= max;

function parse(raw: string | null | undefined): DeviceRecord | undefined {
  if (!raw) return undefined;
  try {
    const r = JSON.parse(raw) as Partial<DeviceRecord> | null;
    if (
      r &&
      isText(r.deviceKey, 256) &&
      isText(r.deviceGroupKey, 256) &&
      isText(r.devicePassword, 256) &&
      typeof r.remembered === 'boolean' &&
      Array.isArray(r.names) &&
      r.names.length <= 4 &&
      r.names.every((n) => isText(n, 512))
    ) {
      return {
        deviceKey: r.deviceKey,
        deviceGroupKey: r.deviceGroupKey,
        devicePassword: r.devicePassword,
        remembered: r.remembered,
        names: r.names,
      };
    }
  } catch {
    // Not JSON: garbage, removed below.
  }
  return undefined;
}

/** A refusal that means the device is gone: ResourceNotFound, or NotAuthorized for the device's own proof. */
function deviceRefused(error: unknown, step: string): boolean {
  if (!(error instanceof AuthError)) return false;
  if (error.serviceName === 'ResourceNotFoundException') return true;
  // The password was proven before DEVICE_SRP_AUTH: a refusal here is the device's.
  return error.code === 'NotAuthorized' && (step === 'DEVICE_PASSWORD_VERIFIER' || /device/i.test(error.message));
}

/** The device half of the Cognito flows: records, device SRP, ConfirmDevice. */
export function deviceSupport(io: DeviceIo) {
  const keyOf = (username: string) => `authchart.${io.clientId}.device.${username}`;
  /** Devices Cognito refused here: never sent again, even if a storage kept their record. */
  const gone = new Set<string>();

  async function read(username: string): Promise<DeviceRecord | undefined> {
    let raw: string | null | undefined;
    try {
      raw = await io.storage.getItem(keyOf(username));
    } catch {
      return undefined; // A storage that fails to read: the sign-in goes on without the device.
    }
    const record = parse(raw);
    if (raw && !record?.names.includes(username)) {
      await Promise.resolve(io.storage.removeItem(keyOf(username))).catch(() => {});
      return undefined;
    }
    return record;
  }

  async function write(record: DeviceRecord): Promise<void> {
    const value = JSON.stringify(record);
    for (const name of record.names) await io.storage.setItem(keyOf(name), value);
  }

  /** Removes the record under every name it was stored under (rejects if the storage does). */
  async function drop(username: string): Promise<void> {
    const record = await read(username);
    const names = new Set([username, ...(record?.names ?? [])]);
    for (const name of names) await io.storage.removeItem(keyOf(name));
  }

  return {
    /** The device key to send for `username`, if this device is known for that user. */
    async deviceKey(username: string): Promise<string | undefined> {
      const key = (await read(username))?.deviceKey;
      return key === undefined || gone.has(key) ? undefined : key;
    },

    /**
     * DEVICE_SRP_AUTH, then DEVICE_PASSWORD_VERIFIER: the device proves it holds its password.
     * Answers Cognito's next output (tokens, or one more challenge). Throws {@link DeviceGone} (the
     * record dropped) when Cognito no longer knows the device.
     */
    async prove(first: ChallengeAnswer, username: string, respond: Respond): Promise<ChallengeAnswer> {
      const who = first.ChallengeParameters?.['USERNAME'] || username;
      const record = (await read(who)) ?? (await read(username));
      if (!record)
        throw new AuthError('Service', 'Cognito asked for DEVICE_SRP_AUTH, but no device is remembered here');
      const { a, srpA } = srpStart();
      let step = 'DEVICE_SRP_AUTH';
      try {
        const challenge = await respond(step, first.Session, { DEVICE_KEY: record.deviceKey, SRP_A: srpA }, who);
        if (challenge.ChallengeName !== 'DEVICE_PASSWORD_VERIFIER') return challenge;
        step = 'DEVICE_PASSWORD_VERIFIER';
        const p = challenge.ChallengeParameters ?? {};
        const { SALT: salt, SRP_B: srpB, SECRET_BLOCK: secretBlock } = p;
        if (!salt || !srpB || !secretBlock) throw new AuthError('Service', 'DEVICE_PASSWORD_VERIFIER came incomplete');
        let claim: { signature: string; timestamp: string };
        try {
          claim = await devicePasswordClaim({ a, ...record, salt, srpB, secretBlock });
        } catch {
          // No cause: the proof's inputs include the device password.
          throw new AuthError('Service', 'The device SRP proof failed');
        }
        return await respond(
          step,
          challenge.Session,
          {
            DEVICE_KEY: record.deviceKey,
            PASSWORD_CLAIM_SECRET_BLOCK: secretBlock,
            PASSWORD_CLAIM_SIGNATURE: claim.signature,
            TIMESTAMP: claim.timestamp,
          },
          p['USERNAME'] || who,
        );
      } catch (error) {
        if (!deviceRefused(error, step)) throw error;
        gone.add(record.deviceKey);
        await drop(who).catch(() => {});
        await drop(username).catch(() => {});
        throw new DeviceGone('Cognito no longer knows this device');
      }
    },

    /**
     * ConfirmDevice for a sign-in's `NewDeviceMetadata`, then the record, stored under `names`.
     * Never throws: the tokens are good without it; the device is just not kept.
     */
    async confirm(metadata: unknown, accessToken: string, names: string[], signal: AbortSignal): Promise<void> {
      const m = (metadata && typeof metadata === 'object' ? metadata : {}) as Record<string, unknown>;
      const deviceKey = m['DeviceKey'];
      const deviceGroupKey = m['DeviceGroupKey'];
      if (!isText(deviceKey, 256) || !isText(deviceGroupKey, 256)) return;
      const controller = new AbortController();
      const onAbort = () => controller.abort(signal.reason);
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
      const timer = setTimeout(() => controller.abort(new Error('ConfirmDevice took too long')), CONFIRM_DEVICE_MS);
      try {
        const { devicePassword, salt, passwordVerifier } = await deviceVerifier(deviceGroupKey, deviceKey);
        const out = await io.call(
          'ConfirmDevice',
          {
            AccessToken: accessToken,
            DeviceKey: deviceKey,
            DeviceSecretVerifierConfig: { PasswordVerifier: passwordVerifier, Salt: salt },
            DeviceName: io.name,
          },
          controller.signal,
        );
        const unique = [...new Set(names.filter((n) => isText(n, 512)))];
        // UserConfirmationNecessary false: the pool remembers every device (no rememberDevice needed).
        await write({
          deviceKey,
          deviceGroupKey,
          devicePassword,
          remembered: out['UserConfirmationNecessary'] === false,
          names: unique,
        });
      } catch {
        // Not confirmed, or not stored: the sign-in stands, and the next one is as this one was.
        // Whatever was written under some of the names goes (one name without the other is no use).
        for (const name of names) await Promise.resolve(io.storage.removeItem(keyOf(name))).catch(() => {});
      } finally {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
      }
    },

    /** `AuthServices.devices`: what authchart/account reads and changes (never the device password). */
    view: {
      async current(username: string): Promise<DeviceRecordView | undefined> {
        const r = await read(username);
        return r && { deviceKey: r.deviceKey, remembered: r.remembered };
      },
      forget: drop,
      async markRemembered(username: string): Promise<void> {
        const r = await read(username);
        if (r) await write({ ...r, remembered: true });
      },
    },
  };
}

export type DeviceSupport = ReturnType<typeof deviceSupport>;
