/**
 * Cognito's SRP-6a (USER_SRP_AUTH) on WebCrypto and BigInt: no library, so it runs wherever
 * `crypto.subtle` does (browsers, Node >= 20, React Native with a WebCrypto polyfill).
 *
 * Cognito hashes big integers in the encoding of Java's `BigInteger.toByteArray()`: even-length
 * hex with a `00` prefix when the top bit is set ({@link padHex}). Getting that wrong fails about
 * half the sign-ins, so the known-answer test checks it against AWS's own helper.
 */

/** The 3072-bit group of RFC 5054 (also RFC 3526 group 15) that Cognito uses. */
const N_HEX =
  'FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD' +
  'EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED' +
  'EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F' +
  '83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B' +
  'E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA0510' +
  '15728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7' +
  'ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864D87602733EC86A64521F2B18177B200C' +
  'BBE117577A615D6C770988C0BAD946E208E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF';
const N = BigInt(`0x${N_HEX}`);
const g = 2n;
const encoder = new TextEncoder();

function subtle(): SubtleCrypto {
  const s = globalThis.crypto?.subtle;
  if (!s) throw new Error('crypto.subtle is missing: install a WebCrypto polyfill (see docs/cognito.md)');
  return s;
}

/** Even-length hex of a non-negative integer, `00`-prefixed when the top bit is set (Java's encoding). */
export function padHex(n: bigint): string {
  let hex = n.toString(16);
  if (hex.length % 2 === 1) hex = `0${hex}`;
  return /^[89a-f]/.test(hex) ? `00${hex}` : hex;
}

export function hexToBytes(hex: string): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function bytesToHex(bytes: Uint8Array): string {
  let hex = '';
  for (const b of bytes) hex += b.toString(16).padStart(2, '0');
  return hex;
}

export function base64ToBytes(b64: string): Uint8Array<ArrayBuffer> {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export function bytesToBase64(bytes: Uint8Array): string {
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

function concat(...parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

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

function mod(a: bigint, m: bigint): bigint {
  const r = a % m;
  return r < 0n ? r + m : r;
}

function modPow(base: bigint, exp: bigint, m: bigint): bigint {
  let result = 1n;
  let b = mod(base, m);
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
  const A = modPow(g, a, N);
  if (A === 0n) throw new Error('SRP: A is zero');
  return { a, A, srpA: A.toString(16) };
}

function randomA(): bigint {
  const bytes = new Uint8Array(128);
  globalThis.crypto.getRandomValues(bytes);
  return BigInt(`0x${bytesToHex(bytes)}`);
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

/** The shared key and its ingredients (exposed for the known-answer test). */
export async function passwordAuthenticationKey(
  input: PasswordVerifierInput,
): Promise<{ A: bigint; u: bigint; x: bigint; S: bigint; key: Uint8Array<ArrayBuffer> }> {
  const { A } = srpStart(input.a);
  const B = BigInt(`0x${input.srpB}`);
  // A malicious or broken B of 0 (mod N) would make S predictable.
  if (mod(B, N) === 0n) throw new Error('SRP: B is zero');
  const k = await hashHex(padHex(N) + padHex(g));
  const u = await hashHex(padHex(A) + padHex(B));
  if (u === 0n) throw new Error('SRP: u is zero');
  const inner = await sha256(encoder.encode(`${input.poolName}${input.userIdForSrp}:${input.password}`));
  const x = await hashHex(padHex(BigInt(`0x${input.salt}`)) + bytesToHex(inner));
  const S = modPow(B - k * modPow(g, x, N), input.a + u * x, N);
  // HKDF-SHA256 (salt u, info "Caldera Derived Key"), first 16 bytes, with HMAC only (polyfills may lack HKDF).
  const prk = await hmacSha256(hexToBytes(padHex(u)), hexToBytes(padHex(S)));
  const okm = await hmacSha256(prk, concat(encoder.encode('Caldera Derived Key'), new Uint8Array([1])));
  return { A, u, x, S, key: okm.slice(0, 16) };
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Cognito's `TIMESTAMP`: `ddd MMM D HH:mm:ss UTC YYYY`, day of month without a leading zero. */
export function cognitoTimestamp(date: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  return (
    `${DAYS[date.getUTCDay()]} ${MONTHS[date.getUTCMonth()]} ${date.getUTCDate()} ` +
    `${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())} UTC ${date.getUTCFullYear()}`
  );
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
