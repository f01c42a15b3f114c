/**
 * Cognito's SRP-6a (USER_SRP_AUTH) on WebCrypto and BigInt: no library, so it runs wherever
 * `crypto.subtle` does (browsers, Node >= 20, React Native with a WebCrypto polyfill).
 *
 * Cognito hashes big integers in the encoding of Java's `BigInteger.toByteArray()`: even-length
 * hex with a `00` prefix when the top bit is set ({@link padHex}). Getting that wrong fails about
 * half the sign-ins, so the known-answer test checks it against AWS's own helper.
 */

/** arctan(1/x) in fixed point (`one` = 1.0), by its Taylor series. */
function arctanInv(x: bigint, one: bigint): bigint {
  let term = one / x;
  let sum = term;
  for (let k = 1n; term; k++) {
    term /= x * x;
    sum += (k & 1n ? -term : term) / (2n * k + 1n);
  }
  return sum;
}

/**
 * The 3072-bit MODP prime of RFC 3526 (group 15, also RFC 5054's) that Cognito uses, built from its
 * definition 2^3072 - 2^3008 - 1 + 2^64 * (floor(2^2942 * pi) + 1690314): a few lines instead of 768
 * hex digits in every bundle. The known-answer test compares it with the published hex.
 */
export const N = (() => {
  const one = 1n << 3006n; // 2^2942 with 64 guard bits
  const pi = (16n * arctanInv(5n, one) - 4n * arctanInv(239n, one)) >> 64n; // Machin's formula
  return (1n << 3072n) - (1n << 3008n) - 1n + ((pi + 1690314n) << 64n);
})();
const g = 2n;
const encoder = new TextEncoder();

function subtle(): SubtleCrypto {
  const s = globalThis.crypto?.subtle;
  if (!s) throw new Error('crypto.subtle is missing (see docs/cognito.md)');
  return s;
}

/** Even-length hex of a non-negative integer, `00`-prefixed when the top bit is set (Java's encoding). */
export function padHex(n: bigint): string {
  let hex = n.toString(16);
  if (hex.length % 2 === 1) hex = `0${hex}`;
  return /^[89a-f]/.test(hex) ? `00${hex}` : hex;
}

const hexToBytes = (hex: string) => Uint8Array.from(hex.match(/../g) ?? [], (h) => Number.parseInt(h, 16));
const bytesToHex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
/** Base64 (standard alphabet) to bytes. */
export const base64ToBytes = (b64: string) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
const bytesToBase64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));
const concat = (...parts: Uint8Array[]) => Uint8Array.from(parts.flatMap((p) => [...p]));

async function sha256(data: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer>> {
  return new Uint8Array(await subtle().digest('SHA-256', data));
}

/** HMAC-SHA256 of `data` under `key`. */
export async function hmacSha256(
  key: Uint8Array<ArrayBuffer>,
  data: Uint8Array<ArrayBuffer>,
): Promise<Uint8Array<ArrayBuffer>> {
  const k = await subtle().importKey('raw', key, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return new Uint8Array(await subtle().sign('HMAC', k, data));
}

/** H(hex bytes) as a big integer. */
async function hashHex(hex: string): Promise<bigint> {
  return BigInt(`0x${bytesToHex(await sha256(hexToBytes(hex)))}`);
}

function modPow(base: bigint, exp: bigint, m: bigint): bigint {
  let result = 1n;
  let b = ((base % m) + m) % m;
  let e = exp;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % m;
    b = (b * b) % m;
    e >>= 1n;
  }
  return result;
}

/** A fresh client secret `a` (1024 random bits, as AWS's helper draws) and `A = g^a mod N`. */
export function srpStart(a: bigint = randomA()): { a: bigint; A: bigint; srpA: string } {
  // N is prime, so A = g^a mod N is never 0.
  const A = modPow(g, a, N);
  return { a, A, srpA: A.toString(16) };
}

/** `n` bytes from the platform's CSPRNG. */
function randomBytes(n: number): Uint8Array {
  return globalThis.crypto.getRandomValues(new Uint8Array(n));
}

function randomA(): bigint {
  return BigInt(`0x${bytesToHex(randomBytes(128))}`);
}

/** Inputs of the password proof: Cognito's `PASSWORD_VERIFIER` challenge parameters and the client's `a`. */
export interface PasswordVerifierInput {
  a: bigint;
  /** The part of the user pool id after the `_`. */
  poolName: string;
  /** `USER_ID_FOR_SRP` (the username Cognito hashed the verifier with). */
  userIdForSrp: string;
  password: string;
  /** `SALT`, hex. */
  salt: string;
  /** `SRP_B`, hex. */
  srpB: string;
}

/**
 * SRP's private key x = H(salt | H(poolName | userId | ':' | password)), salt as a big integer in
 * {@link padHex}. A remembered device's verifier is g^x too, with the device group key and device key
 * in place of the pool name and username.
 */
async function privateKey(saltHex: string, poolName: string, userId: string, password: string): Promise<bigint> {
  const inner = await sha256(encoder.encode(`${poolName}${userId}:${password}`));
  return hashHex(padHex(BigInt(`0x${saltHex}`)) + bytesToHex(inner));
}

/** The shared key and its ingredients (exposed for the known-answer test). */
export async function passwordAuthenticationKey(
  input: PasswordVerifierInput,
): Promise<{ A: bigint; u: bigint; x: bigint; S: bigint; key: Uint8Array<ArrayBuffer> }> {
  const { A } = srpStart(input.a);
  const B = BigInt(`0x${input.srpB}`);
  // A malicious or broken B of 0 (mod N) would make S predictable.
  if (B % N === 0n) throw new Error('SRP: B is zero');
  const k = await hashHex(padHex(N) + padHex(g));
  const u = await hashHex(padHex(A) + padHex(B));
  if (u === 0n) throw new Error('SRP: u is zero');
  const x = await privateKey(input.salt, input.poolName, input.userIdForSrp, input.password);
  const S = modPow(B - k * modPow(g, x, N), input.a + u * x, N);
  // HKDF-SHA256 (salt u, info "Caldera Derived Key"), first 16 bytes, with HMAC only (polyfills may lack HKDF).
  const prk = await hmacSha256(hexToBytes(padHex(u)), hexToBytes(padHex(S)));
  const okm = await hmacSha256(prk, concat(encoder.encode('Caldera Derived Key'), new Uint8Array([1])));
  return { A, u, x, S, key: okm.slice(0, 16) };
}

/** Cognito's `TIMESTAMP`: `ddd MMM D HH:mm:ss UTC YYYY`, day of month without a leading zero. */
export function cognitoTimestamp(date: Date): string {
  // toUTCString() is specified as "Www, DD Mmm YYYY HH:mm:ss GMT" (ECMA-262, Date.prototype.toUTCString).
  const [day, dd, month, year, time] = date.toUTCString().split(' ');
  return `${day?.slice(0, 3)} ${month} ${Number(dd)} ${time} UTC ${year}`;
}

/**
 * The `PASSWORD_VERIFIER` answer: `PASSWORD_CLAIM_SIGNATURE` = HMAC(key, poolName | userIdForSrp |
 * secretBlock | timestamp), base64.
 *
 * @example
 * const { a, srpA } = srpStart(); // send srpA as SRP_A, then with Cognito's answer:
 * const claim = await passwordClaim({ a, poolName: 'AbC123', userIdForSrp, password, salt, srpB, secretBlock });
 */
export async function passwordClaim(
  input: PasswordVerifierInput & { secretBlock: string; now?: Date },
): Promise<{ signature: string; timestamp: string }> {
  const { key } = await passwordAuthenticationKey(input);
  const timestamp = cognitoTimestamp(input.now ?? new Date());
  const message = concat(
    encoder.encode(input.poolName),
    encoder.encode(input.userIdForSrp),
    base64ToBytes(input.secretBlock),
    encoder.encode(timestamp),
  );
  return { signature: bytesToBase64(await hmacSha256(key, message)), timestamp };
}

/**
 * Cognito's `SECRET_HASH` for confidential app clients: base64(HMAC-SHA256(clientSecret, username + clientId)).
 *
 * @example
 * const hash = await secretHash('alice', 'client-id', 'client-secret');
 */
export async function secretHash(username: string, clientId: string, clientSecret: string): Promise<string> {
  return bytesToBase64(await hmacSha256(encoder.encode(clientSecret), encoder.encode(username + clientId)));
}

/** A source of random bytes; injected by tests to pin the device password and salt. */
export type RandomBytes = (n: number) => Uint8Array;

/** What ConfirmDevice needs to remember a device, and the secret the device keeps. */
export interface DeviceVerifier {
  /** The device's secret: 40 random bytes, base64. Stored on the device; never sent. */
  devicePassword: string;
  /** `DeviceSecretVerifierConfig.Salt`: the 16-byte salt in {@link padHex} bytes, base64. */
  salt: string;
  /** `DeviceSecretVerifierConfig.PasswordVerifier`: g^x mod N in {@link padHex} bytes, base64. */
  passwordVerifier: string;
}

/**
 * A fresh device password and the salt and verifier Cognito stores for it at ConfirmDevice: the
 * device later proves it knows the password with DEVICE_SRP_AUTH ({@link devicePasswordClaim}).
 * The device group key and device key stand where USER_SRP_AUTH has the pool name and username.
 *
 * @example
 * const { DeviceGroupKey, DeviceKey } = result.AuthenticationResult.NewDeviceMetadata;
 * const { devicePassword, salt, passwordVerifier } = await deviceVerifier(DeviceGroupKey, DeviceKey);
 * // ConfirmDevice { DeviceKey, AccessToken, DeviceSecretVerifierConfig: { Salt: salt, PasswordVerifier: passwordVerifier } }
 */
export async function deviceVerifier(
  deviceGroupKey: string,
  deviceKey: string,
  random: RandomBytes = randomBytes,
): Promise<DeviceVerifier> {
  // Drawn in this order (password, then salt) as AWS's helper does, so fixed randomness gives its answer.
  const devicePassword = bytesToBase64(random(40));
  // Cognito reads the salt back as a big integer: its bytes are padHex's (leading zeros dropped, 00 before a top bit).
  const saltHex = padHex(BigInt(`0x${bytesToHex(random(16))}`));
  const x = await privateKey(saltHex, deviceGroupKey, deviceKey, devicePassword);
  return {
    devicePassword,
    salt: bytesToBase64(hexToBytes(saltHex)),
    passwordVerifier: bytesToBase64(hexToBytes(padHex(modPow(g, x, N)))),
  };
}

/** Inputs of the device proof: Cognito's `DEVICE_PASSWORD_VERIFIER` challenge parameters and the client's `a`. */
export interface DevicePasswordVerifierInput {
  a: bigint;
  /** The `DeviceGroupKey` of the device's `NewDeviceMetadata`. */
  deviceGroupKey: string;
  /** `DEVICE_KEY`. */
  deviceKey: string;
  /** {@link DeviceVerifier.devicePassword}. */
  devicePassword: string;
  /** `SALT`, hex. */
  salt: string;
  /** `SRP_B`, hex. */
  srpB: string;
  /** `SECRET_BLOCK`, base64. */
  secretBlock: string;
  now?: Date;
}

/**
 * The `DEVICE_PASSWORD_VERIFIER` answer: the `PASSWORD_VERIFIER` proof of {@link passwordClaim} with
 * the device group key as pool name, the device key as username and the device password.
 *
 * @example
 * const { a, srpA } = srpStart(); // send srpA as SRP_A with DEVICE_KEY in DEVICE_SRP_AUTH, then:
 * const claim = await devicePasswordClaim({ a, deviceGroupKey, deviceKey, devicePassword, salt, srpB, secretBlock });
 */
export function devicePasswordClaim(
  input: DevicePasswordVerifierInput,
): Promise<{ signature: string; timestamp: string }> {
  const { deviceGroupKey, deviceKey, devicePassword, ...rest } = input;
  return passwordClaim({ ...rest, poolName: deviceGroupKey, userIdForSrp: deviceKey, password: devicePassword });
}
