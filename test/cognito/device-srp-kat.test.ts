/**
 * Known-answer test for remembered devices: our WebCrypto/BigInt device SRP against AWS's own
 * `AuthenticationHelper` (amazon-cognito-identity-js, a dev dependency only), driven as
 * `CognitoUser` drives it. Same random bytes must give the same device password, ConfirmDevice salt
 * and verifier (`generateHashDevice`); same `a`, B, secret block and timestamp must give the same
 * DEVICE_PASSWORD_VERIFIER signature (`getDeviceResponse`).
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { devicePasswordClaim, deviceVerifier, N, padHex, srpStart } from '../../src/adapters/cognito/srp.js';

const require = createRequire(import.meta.url);
type Big = { toString(radix: number): string };
type BigCtor = new (hex: string, radix: number) => Big;
interface Helper {
  smallAValue: Big;
  largeAValue: Big | undefined;
  getLargeAValue(cb: (err: unknown, A: Big) => void): void;
  generateHashDevice(deviceGroupKey: string, username: string, cb: (err: unknown) => void): void;
  getRandomPassword(): string;
  getSaltDevices(): string;
  getVerifierDevices(): string;
  getPasswordAuthenticationKey(
    u: string,
    p: string,
    B: Big,
    salt: Big,
    cb: (err: unknown, key: Uint8Array) => void,
  ): void;
}
const helperPath = require.resolve('amazon-cognito-identity-js/lib/AuthenticationHelper.js');
const AuthenticationHelper = require(helperPath).default as new (pool: string) => Helper;
const BigInteger = require('amazon-cognito-identity-js/lib/BigInteger.js').default as BigCtor;
const DateHelper = require('amazon-cognito-identity-js/lib/DateHelper.js').default as new () => {
  getNowString(): string;
};
// The HMAC getDeviceResponse signs with (aws-crypto's Sha256 keyed), resolved from the helper's own dependencies.
const { Sha256 } = createRequire(helperPath)('@aws-crypto/sha256-js') as {
  Sha256: new (secret: Uint8Array) => { update(data: Uint8Array): void; digestSync(): Uint8Array };
};

/** Deterministic bytes (SHA-256 counter mode), so the vectors are fixed but varied. */
function bytes(seed: string, n: number): Buffer {
  const out: Buffer[] = [];
  for (let i = 0; out.length * 32 < n; i++) out.push(createHash('sha256').update(`${seed}/${i}`).digest());
  return Buffer.concat(out).subarray(0, n);
}

const b64 = (hex: string) => Buffer.from(hex, 'hex').toString('base64');

/**
 * AWS's `generateHashDevice` with its randomness pinned: its helper draws 32-bit words from
 * `crypto.getRandomValues` and writes each big-endian, so `random` (40 password bytes, then 16 salt
 * bytes) is served to it word by word.
 */
function oracleVerifier(deviceGroupKey: string, deviceKey: string, random: Uint8Array) {
  // The constructor draws its own `a` first, from real randomness: not part of the device hash.
  const helper = new AuthenticationHelper(deviceGroupKey);
  const words = Buffer.from(random);
  let offset = 0;
  const spy = vi.spyOn(globalThis.crypto, 'getRandomValues').mockImplementation((array) => {
    if (!(array instanceof Uint32Array) || array.length !== 1) throw new Error('unexpected draw');
    array[0] = words.readUInt32BE(offset);
    offset += 4;
    return array;
  });
  let failure: unknown;
  try {
    helper.generateHashDevice(deviceGroupKey, deviceKey, (e) => {
      failure = e;
    });
  } finally {
    spy.mockRestore();
  }
  if (failure) throw failure;
  expect(offset).toBe(56);
  return { password: helper.getRandomPassword(), salt: helper.getSaltDevices(), verifier: helper.getVerifierDevices() };
}

/** Our `deviceVerifier` fed the same 56 bytes, in the draws it asks for. */
function ours(deviceGroupKey: string, deviceKey: string, random: Uint8Array) {
  let offset = 0;
  const draws: number[] = [];
  return deviceVerifier(deviceGroupKey, deviceKey, (n) => {
    draws.push(n);
    offset += n;
    return random.slice(offset - n, offset);
  }).then((result) => ({ ...result, draws }));
}

interface ClaimVector {
  deviceGroupKey: string;
  deviceKey: string;
  devicePassword: string;
  /** SALT as DEVICE_PASSWORD_VERIFIER carries it: hex. */
  salt: string;
  a: string;
  srpB: string;
  secretBlock: string;
  now: Date;
}

/** What CognitoUser.getDeviceResponse computes: A, then the signature over group key | device key | block | time. */
async function oracleClaim(v: ClaimVector) {
  const helper = new AuthenticationHelper(v.deviceGroupKey);
  helper.smallAValue = new BigInteger(v.a, 16);
  helper.largeAValue = undefined;
  let A = '';
  helper.getLargeAValue((_e, big) => {
    A = big.toString(16);
  });
  const key = await new Promise<Uint8Array>((resolve, reject) =>
    helper.getPasswordAuthenticationKey(
      v.deviceKey,
      v.devicePassword,
      new BigInteger(v.srpB, 16),
      new BigInteger(v.salt, 16),
      (e, k) => (e ? reject(e) : resolve(k)),
    ),
  );
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(v.now);
  const timestamp = new DateHelper().getNowString();
  vi.useRealTimers();
  const hmac = new Sha256(key);
  hmac.update(
    Buffer.concat([
      Buffer.from(v.deviceGroupKey, 'utf8'),
      Buffer.from(v.deviceKey, 'utf8'),
      Buffer.from(v.secretBlock, 'base64'),
      Buffer.from(timestamp, 'utf8'),
    ]),
  );
  return { srpA: A, signature: Buffer.from(hmac.digestSync()).toString('base64'), timestamp };
}

/** Both sides on one vector: ConfirmDevice's config, then the DEVICE_PASSWORD_VERIFIER proof with it. */
async function compare(
  deviceGroupKey: string,
  deviceKey: string,
  random: Uint8Array,
  rest: Pick<ClaimVector, 'a' | 'srpB' | 'secretBlock' | 'now'>,
) {
  const expected = oracleVerifier(deviceGroupKey, deviceKey, random);
  const got = await ours(deviceGroupKey, deviceKey, random);
  expect(got.draws).toEqual([40, 16]);
  expect(got.devicePassword).toBe(expected.password);
  expect(got.salt).toBe(b64(expected.salt));
  expect(got.passwordVerifier).toBe(b64(expected.verifier));

  // Cognito answers DEVICE_SRP_AUTH with the salt it stored, in hex.
  const v: ClaimVector = {
    deviceGroupKey,
    deviceKey,
    devicePassword: got.devicePassword,
    salt: expected.salt,
    ...rest,
  };
  const claim = await oracleClaim(v);
  expect(srpStart(BigInt(`0x${v.a}`)).srpA).toBe(claim.srpA);
  expect(await devicePasswordClaim({ ...v, a: BigInt(`0x${v.a}`) })).toEqual({
    signature: claim.signature,
    timestamp: claim.timestamp,
  });
  return { saltHex: expected.salt, verifierHex: expected.verifier };
}

const KEYS: Array<[string, string]> = [
  ['-Xy3bQ9aZ', 'eu-west-1_5a7d2c1e-7b4f-4f0e-9a8b-0c1d2e3f4a5b'],
  ['-AbC', 'us-east-1_00000000-0000-4000-8000-000000000000'],
  ['-gr0up_K3y-with-dash', 'ap-south-1_ffffffff-ffff-4fff-bfff-ffffffffffff'],
  ['-ünï', 'dévïce-🔑'],
];

/** Fixed vectors; the salt bytes of the first three pin a top bit set, a leading zero byte and neither. */
const VECTORS = Array.from({ length: 16 }, (_, i) => {
  const [deviceGroupKey, deviceKey] = KEYS[i % KEYS.length] as [string, string];
  const random = bytes(`device-${i}/random`, 56);
  if (i === 0) random[40] = 0xc3;
  if (i === 1) random.set([0x00, 0x12], 40);
  if (i === 2) random[40] = 0x41;
  return {
    deviceGroupKey,
    deviceKey,
    random,
    a: bytes(`device-${i}/a`, 128).toString('hex'),
    srpB: bytes(`device-${i}/B`, 384).toString('hex').replace(/^0+/, ''),
    secretBlock: bytes(`device-${i}/block`, 64 + i).toString('base64'),
    now: new Date(
      Date.UTC(2021 + (i % 6), (i * 5) % 12, 1 + ((i * 7) % 28), (i * 3) % 24, (i * 11) % 60, (i * 13) % 60),
    ),
  };
});

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe('device SRP known answers (amazon-cognito-identity-js AuthenticationHelper as the oracle)', () => {
  it.each(VECTORS.map((v, i) => [i, v] as const))(
    'vector %i: same device password, salt, verifier, SRP_A and DEVICE_PASSWORD_VERIFIER signature',
    async (_i, v) => {
      await compare(v.deviceGroupKey, v.deviceKey, v.random, v);
    },
  );

  it('the vectors cover both paddings of the salt and the verifier, and a salt with a leading zero byte', async () => {
    const seen = { salt: new Set<boolean>(), verifier: new Set<boolean>(), shortSalt: new Set<boolean>() };
    for (const v of VECTORS) {
      const got = await ours(v.deviceGroupKey, v.deviceKey, v.random);
      const salt = Buffer.from(got.salt, 'base64');
      seen.salt.add(salt[0] === 0 && salt.length === 17);
      seen.shortSalt.add(salt.length < 16);
      const verifier = BigInt(`0x${Buffer.from(got.passwordVerifier, 'base64').toString('hex')}`);
      seen.verifier.add(padHex(verifier).startsWith('00'));
    }
    for (const s of Object.values(seen)) expect([...s].sort()).toEqual([false, true]);
  });

  it('random rounds (fast-check): keys, randomness, a, B, secret block and time all agree with the oracle', async () => {
    const n = (length: number) => fc.uint8Array({ minLength: length, maxLength: length });
    await fc.assert(
      fc.asyncProperty(
        fc.string({ unit: 'grapheme', maxLength: 24 }),
        fc.string({ unit: 'grapheme', maxLength: 60 }),
        n(56),
        n(128),
        n(384),
        fc.uint8Array({ minLength: 1, maxLength: 120 }),
        fc.date({ min: new Date(Date.UTC(1970, 0, 1)), max: new Date(Date.UTC(2200, 0, 1)), noInvalidDate: true }),
        async (deviceGroupKey, deviceKey, random, a, B, block, now) => {
          const srpB = Buffer.from(B).toString('hex');
          // B = 0 (mod N) is refused by both sides; it is not a vector.
          fc.pre(BigInt(`0x${srpB}`) % N !== 0n);
          await compare(deviceGroupKey, deviceKey, random, {
            a: Buffer.from(a).toString('hex'),
            srpB,
            secretBlock: Buffer.from(block).toString('base64'),
            now,
          });
        },
      ),
      // Each round is a few 3072-bit exponentiations in AWS's pure-JS BigInteger (about half a second).
      { numRuns: 12 },
    );
  }, 60_000);
});
