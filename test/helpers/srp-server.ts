/**
 * The server half of Cognito's SRP, written independently of src/adapters/cognito/srp.ts (node:crypto
 * and BigInt, RFC 5054 formulas): it derives a user's verifier from the password, stores a remembered
 * device's from ConfirmDevice, and CHECKS the client's PASSWORD_CLAIM_SIGNATURE (PASSWORD_VERIFIER and
 * DEVICE_PASSWORD_VERIFIER). It never accepts a signature it did not compute itself.
 */
import { createHash, createHmac, randomBytes, randomUUID } from 'node:crypto';

const N = BigInt(
  '0xFFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD' +
    'EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED' +
    'EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F' +
    '83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B' +
    'E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA0510' +
    '15728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7' +
    'ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864D87602733EC86A64521F2B18177B200C' +
    'BBE117577A615D6C770988C0BAD946E208E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF',
);
const g = 2n;

/** Java BigInteger.toByteArray() of a non-negative integer. */
function bytes(n: bigint): Buffer {
  let hex = n.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  if (/^[89a-f]/i.test(hex)) hex = `00${hex}`;
  return Buffer.from(hex, 'hex');
}
const H = (...parts: Buffer[]) => BigInt(`0x${createHash('sha256').update(Buffer.concat(parts)).digest('hex')}`);
function pow(b: bigint, e: bigint, m: bigint): bigint {
  let r = 1n;
  let x = b % m;
  for (let k = e; k > 0n; k >>= 1n) {
    if (k & 1n) r = (r * x) % m;
    x = (x * x) % m;
  }
  return r;
}
const k = H(bytes(N), bytes(g));

export interface SrpUser {
  poolName: string;
  /** USER_ID_FOR_SRP (Cognito's internal username). */
  userId: string;
  password: string;
}

const TIMESTAMP = /^(Sun|Mon|Tue|Wed|Thu|Fri|Sat) [A-Z][a-z]{2} [1-9]\d? \d\d:\d\d:\d\d UTC \d{4}$/;

/**
 * One SRP exchange against a stored verifier `v` = g^x, where x hashes `salt` (read as a big integer)
 * with `poolName`, `userId` and the secret. For a device, Cognito puts its group key and device key there.
 */
function exchange(poolName: string, userId: string, salt: Buffer, v: bigint) {
  let state: { A: bigint; b: bigint; B: bigint; secretBlock: Buffer } | undefined;
  return {
    /** SRP_B, SALT and SECRET_BLOCK for the client's SRP_A. */
    begin(srpA: string) {
      const A = BigInt(`0x${srpA}`);
      if (A % N === 0n) throw new Error('bad A');
      const b = BigInt(`0x${randomBytes(64).toString('hex')}`);
      const B = (k * v + pow(g, b, N)) % N;
      state = { A, b, B, secretBlock: randomBytes(48) };
      return { SALT: salt.toString('hex'), SRP_B: B.toString(16), SECRET_BLOCK: state.secretBlock.toString('base64') };
    },
    /** True only for the signature this server computes from the verifier. */
    verify(r: Record<string, string | undefined>): boolean {
      if (!state || r['PASSWORD_CLAIM_SECRET_BLOCK'] !== state.secretBlock.toString('base64')) return false;
      const timestamp = r['TIMESTAMP'] ?? '';
      if (!TIMESTAMP.test(timestamp)) return false;
      const u = H(bytes(state.A), bytes(state.B));
      const S = pow((state.A * pow(v, u, N)) % N, state.b, N);
      const prk = createHmac('sha256', bytes(u)).update(bytes(S)).digest();
      const key = createHmac('sha256', prk).update('Caldera Derived Key\u0001').digest().subarray(0, 16);
      const expected = createHmac('sha256', key)
        .update(Buffer.concat([Buffer.from(poolName + userId), state.secretBlock, Buffer.from(timestamp)]))
        .digest('base64');
      return r['PASSWORD_CLAIM_SIGNATURE'] === expected;
    },
  };
}

/** One USER_SRP_AUTH exchange: `begin` answers PASSWORD_VERIFIER parameters, `verify` checks the proof. */
export function srpServer(user: SrpUser) {
  const salt = randomBytes(16);
  // Cognito reads SALT as a big integer: leading zero bytes drop, a top bit gains a 00.
  const x = H(bytes(BigInt(`0x${salt.toString('hex')}`)), innerHash(user.poolName, user.userId, user.password));
  const srp = exchange(user.poolName, user.userId, salt, pow(g, x, N));
  return {
    begin: (srpA: string) => ({ USER_ID_FOR_SRP: user.userId, ...srp.begin(srpA) }),
    verify: (r: Record<string, string | undefined>) => r['USERNAME'] === user.userId && srp.verify(r),
  };
}

/** H(poolName | userId | ":" | secret), the inner hash of x. */
function innerHash(poolName: string, userId: string, secret: string): Buffer {
  return createHash('sha256').update(`${poolName}${userId}:${secret}`, 'utf8').digest();
}

/** ConfirmDevice's request body, as Cognito receives it. */
export interface ConfirmDeviceInput {
  DeviceKey: string;
  DeviceSecretVerifierConfig: { Salt: string; PasswordVerifier: string };
}

interface Device {
  username: string;
  groupKey: string;
  /** Set at ConfirmDevice. */
  salt?: Buffer;
  verifier?: bigint;
}

/**
 * Cognito's remembered devices for one pool: `newDevice` is the NewDeviceMetadata of a sign-in,
 * `confirmDevice` stores the device's salt and verifier, and `begin`/`verify` are DEVICE_SRP_AUTH
 * and DEVICE_PASSWORD_VERIFIER. The device password never reaches it: it checks against the verifier.
 */
export function deviceSrpServer(region = 'eu-west-1') {
  const devices = new Map<string, Device>();
  const groupKeys = new Map<string, string>();
  let current: { deviceKey: string; srp: ReturnType<typeof exchange> } | undefined;

  function confirmed(deviceKey: string | undefined) {
    const device = deviceKey === undefined ? undefined : devices.get(deviceKey);
    if (!device?.salt || device.verifier === undefined) throw new Error(`ResourceNotFound: device ${deviceKey}`);
    return { ...device, salt: device.salt, verifier: device.verifier };
  }

  return {
    /** A new device for `username`, in the user's device group (one group key per user, as Cognito has it). */
    newDevice(username: string): { DeviceGroupKey: string; DeviceKey: string } {
      const groupKey = groupKeys.get(username) ?? `-${randomBytes(6).toString('base64url')}`;
      groupKeys.set(username, groupKey);
      const deviceKey = `${region}_${randomUUID()}`;
      devices.set(deviceKey, { username, groupKey });
      return { DeviceGroupKey: groupKey, DeviceKey: deviceKey };
    },
    confirmDevice(input: ConfirmDeviceInput): void {
      const device = devices.get(input.DeviceKey);
      if (!device) throw new Error(`ResourceNotFound: device ${input.DeviceKey}`);
      const verifier = BigInt(
        `0x${Buffer.from(input.DeviceSecretVerifierConfig.PasswordVerifier, 'base64').toString('hex')}`,
      );
      // A verifier of 0 or 1 mod N makes the proof independent of the password: anyone could answer it.
      if (verifier % N < 2n) throw new Error('InvalidParameter: PasswordVerifier');
      device.salt = Buffer.from(input.DeviceSecretVerifierConfig.Salt, 'base64');
      device.verifier = verifier;
    },
    /** DEVICE_SRP_AUTH's ChallengeResponses (USERNAME, DEVICE_KEY, SRP_A) → DEVICE_PASSWORD_VERIFIER's parameters. */
    begin(r: Record<string, string | undefined>): Record<string, string> {
      const device = confirmed(r['DEVICE_KEY']);
      if (r['USERNAME'] !== device.username) throw new Error("NotAuthorized: not this user's device");
      const deviceKey = r['DEVICE_KEY'] ?? '';
      const srp = exchange(device.groupKey, deviceKey, device.salt, device.verifier);
      const parameters = { USERNAME: device.username, DEVICE_KEY: deviceKey, ...srp.begin(r['SRP_A'] ?? '') };
      current = { deviceKey, srp };
      return parameters;
    },
    /** True only for the DEVICE_PASSWORD_VERIFIER signature this server computes for the device of `begin`. */
    verify(r: Record<string, string | undefined>): boolean {
      if (!current || r['DEVICE_KEY'] !== current.deviceKey) return false;
      return r['USERNAME'] === confirmed(current.deviceKey).username && current.srp.verify(r);
    },
  };
}
