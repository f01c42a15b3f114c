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
  /**
   * Cognito's own username (the access token's `username`): the one user the device is for. Absent
   * from records written before it was kept: then any of `names` is taken as the owner.
   */
  owner?: string;
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
 * The longest the whole of ConfirmDevice may take (the verifier, the request, the record's writes,
 * their cleanup), unless the sign-in's signal aborts first: it runs inside the sign-in's own bound
 * (`remoteStepMs`, 5 s by default), and a slow one, or a slow storage, must cost the device, never
 * the sign-in.
 */
export const CONFIRM_DEVICE_MS = 2000;

/**
 * The longest a sign-in waits for a device record read or a cleanup removal: a storage that hangs or
 * throws means no device, and the sign-in goes on without it. A storage whose read is still pending
 * past it is not read again by a sign-in until that read settles (no second wait in the same step).
 */
export const READ_DEVICE_MS = 1000;

const isText = (v: unknown, max = 2048): v is string => typeof v === 'string' && v !== '' && v.length <= max;

/**
 * `step()`, a storage call (it may throw at once, as `localStorage` does: caught here), settled; or
 * rejected after `ms` (none: no bound) or as soon as `signal` aborts.
 */
function bounded<T>(step: () => T, ms?: number, signal?: AbortSignal): Promise<Awaited<T>> {
  return new Promise((resolve, reject) => {
    const onAbort = () => done(reject, signal?.reason);
    const timer = ms === undefined ? undefined : setTimeout(() => done(reject, TOO_LONG), ms);
    function done(settle: (value: never) => void, value: unknown) {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      settle(value as never);
    }
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    Promise.resolve()
      .then(step)
      .then(
        (value) => done(resolve, value),
        (error: unknown) => done(reject, error),
      );
  });
}
const TOO_LONG = 'the device storage did not answer in time';

function parse(raw: unknown): DeviceRecord | undefined {
  if (!raw || typeof raw !== 'string') return undefined;
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
      r.names.every((n) => isText(n, 512)) &&
      (r.owner === undefined || (isText(r.owner, 512) && r.names.includes(r.owner)))
    ) {
      return {
        deviceKey: r.deviceKey,
        deviceGroupKey: r.deviceGroupKey,
        devicePassword: r.devicePassword,
        remembered: r.remembered,
        names: r.names,
        ...(r.owner ? { owner: r.owner } : {}),
      };
    }
  } catch {
    // Not JSON: garbage, removed below.
  }
  return undefined;
}

/** The record is `user`'s (Cognito's own username): its owner, or for an older record one of its names. */
const owns = (r: DeviceRecord, user: string) => (r.owner ? r.owner === user : r.names.includes(user));

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
  /** A typed name (an alias) → the user Cognito said it now is, when its record is another user's. */
  const moved = new Map<string, string>();
  /** A sign-in's read pending past READ_DEVICE_MS: until it settles, sign-ins read no record. */
  let stalled = false;

  /**
   * The record under `username`, or none (unreadable, or not a well-formed one naming `username`:
   * then removed). `ms`: a sign-in's bound (a late or failed read is no record); without it the
   * caller bounds the read (authchart/account's `storageMs`).
   */
  async function read(username: string, ms?: number): Promise<DeviceRecord | undefined> {
    if (ms && stalled) return undefined;
    let raw: unknown;
    const reading = bounded(() => io.storage.getItem(keyOf(username)));
    try {
      raw = await bounded(() => reading, ms);
    } catch (error) {
      if (error === TOO_LONG) {
        stalled = true;
        reading.then(
          () => (stalled = false),
          () => (stalled = false),
        );
      }
      return undefined; // A storage that fails to read: the sign-in goes on without the device.
    }
    const record = parse(raw);
    if (raw && !record?.names.includes(username)) {
      await bounded(() => io.storage.removeItem(keyOf(username)), READ_DEVICE_MS).catch(() => {});
      return undefined;
    }
    return record;
  }

  /**
   * `act` on each name `record` is stored under that still holds this device (never on a name that
   * holds another user's record now). Rejects if the storage does.
   */
  async function each(record: DeviceRecord, act: (key: string) => unknown, ms?: number): Promise<void> {
    for (const name of record.names) {
      if ((await read(name, ms))?.deviceKey === record.deviceKey) await bounded(() => act(keyOf(name)), ms);
    }
  }

  /** Removes the record under every name it was stored under (rejects if the storage does). */
  const drop = (record: DeviceRecord, ms?: number) => each(record, (key) => io.storage.removeItem(key), ms);

  return {
    /** The device key to send for `username`, if this device is known for that user. */
    async deviceKey(username: string): Promise<string | undefined> {
      const record = await read(username, READ_DEVICE_MS);
      const user = moved.get(username);
      if (!record || gone.has(record.deviceKey) || (user && !owns(record, user))) return undefined;
      return record.deviceKey;
    },

    /**
     * DEVICE_SRP_AUTH, then DEVICE_PASSWORD_VERIFIER: the device proves it holds its password.
     * Answers Cognito's next output (tokens, or one more challenge). Throws {@link DeviceGone} (the
     * record dropped) when Cognito no longer knows the device, or (the record kept) when the record
     * the typed name found is another user's than the one Cognito names.
     */
    async prove(first: ChallengeAnswer, username: string, respond: Respond): Promise<ChallengeAnswer> {
      // Once Cognito names the user, only that user's record is used, or dropped.
      const named = first.ChallengeParameters?.['USERNAME'];
      const who = named || username;
      const mine = (r: DeviceRecord | undefined) => (r && (!named || owns(r, named)) ? r : undefined);
      const typed = who === username ? undefined : await read(username, READ_DEVICE_MS);
      const record = mine(await read(who, READ_DEVICE_MS)) ?? mine(typed);
      if (!record) {
        if (!typed)
          throw new AuthError('Service', 'Cognito asked for DEVICE_SRP_AUTH, but no device is remembered here');
        // The typed name (an alias that moved) found another user's device: the sign-in starts
        // again without it, and that user's record stays.
        moved.set(username, who);
        throw new DeviceGone('The device remembered for this name is another user’s');
      }
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
        await drop(record, READ_DEVICE_MS).catch(() => {});
        throw new DeviceGone('Cognito no longer knows this device');
      }
    },

    /**
     * ConfirmDevice for a sign-in's `NewDeviceMetadata`, then the record of `owner` (Cognito's own
     * username), stored under `owner` and `names`. Never throws, and settles within
     * {@link CONFIRM_DEVICE_MS}, or at once when `signal` aborts (the sign-in's): the tokens are good
     * without it; the device is just not kept.
     */
    async confirm(
      metadata: unknown,
      accessToken: string,
      owner: string,
      names: string[],
      signal: AbortSignal,
    ): Promise<void> {
      const m = (metadata && typeof metadata === 'object' ? metadata : {}) as Record<string, unknown>;
      const deviceKey = m['DeviceKey'];
      const deviceGroupKey = m['DeviceGroupKey'];
      const unique = [...new Set([owner, ...names])].filter((n) => isText(n, 512));
      if (!isText(deviceKey, 256) || !isText(deviceGroupKey, 256) || !unique.includes(owner)) return;
      // One bound for all of it: CONFIRM_DEVICE_MS, or the sign-in's signal.
      const controller = new AbortController();
      const end = () => controller.abort();
      const timer = setTimeout(end, CONFIRM_DEVICE_MS);
      signal.addEventListener('abort', end, { once: true });
      if (signal.aborted) end();
      const bound = controller.signal;
      let writing = false;
      const work = async () => {
        try {
          const { devicePassword, salt, passwordVerifier } = await deviceVerifier(deviceGroupKey, deviceKey);
          bound.throwIfAborted();
          const out: unknown = await io.call(
            'ConfirmDevice',
            {
              AccessToken: accessToken,
              DeviceKey: deviceKey,
              DeviceSecretVerifierConfig: { PasswordVerifier: passwordVerifier, Salt: salt },
              DeviceName: io.name,
            },
            bound,
          );
          // Only ConfirmDevice's own answer confirms: a JSON object, its flag a boolean when present.
          const necessary = (out as Record<string, unknown> | null)?.['UserConfirmationNecessary'];
          const shaped = out && typeof out === 'object' && !Array.isArray(out);
          if (!shaped || !['boolean', 'undefined'].includes(typeof necessary) || bound.aborted) return;
          // UserConfirmationNecessary false: the pool remembers every device (no rememberDevice needed).
          const record: DeviceRecord = {
            deviceKey,
            deviceGroupKey,
            devicePassword,
            remembered: necessary === false,
            names: unique,
            owner,
          };
          const value = JSON.stringify(record);
          writing = true;
          // A write that lands after the bound (or after the sign-in was aborted) is harmless: it is
          // made only once Cognito confirmed the device, and holds the whole record (one value per
          // key) of a device Cognito knows for `owner`, whatever became of this sign-in's tokens; the
          // next sign-in uses it (or, should Cognito have forgotten it, drops it and goes on).
          await Promise.all(unique.map((name) => bounded(() => io.storage.setItem(keyOf(name), value))));
        } catch {
          // Not confirmed, or not stored: the sign-in stands, and the next one is as this one was.
          // Whatever was written under some of the names goes (one name without the other is no use).
          if (writing) {
            await Promise.all(unique.map((name) => bounded(() => io.storage.removeItem(keyOf(name))).catch(() => {})));
          }
        }
      };
      // Never past the bound: what is still running then goes on alone, and its end is not awaited.
      await bounded(work, undefined, bound).catch(() => {});
      clearTimeout(timer);
      signal.removeEventListener('abort', end);
    },

    /** `AuthServices.devices`: what authchart/account reads and changes (never the device password). */
    view: {
      async current(username: string): Promise<DeviceRecordView | undefined> {
        const r = await read(username);
        return r && { deviceKey: r.deviceKey, remembered: r.remembered };
      },
      async forget(username: string): Promise<void> {
        const r = await read(username);
        if (r) await drop(r);
      },
      async markRemembered(username: string): Promise<void> {
        const r = await read(username);
        if (r) {
          const value = JSON.stringify({ ...r, remembered: true });
          await each(r, (key) => io.storage.setItem(key, value));
        }
      },
    },
  };
}

export type DeviceSupport = ReturnType<typeof deviceSupport>;
