/**
 * Known-answer test: our WebCrypto/BigInt SRP against AWS's own `AuthenticationHelper`
 * (amazon-cognito-identity-js, a dev dependency only). Same `a`, salt, B, secret block and
 * timestamp must give the same A, u, S, HKDF key and PASSWORD_CLAIM_SIGNATURE.
 */
import { createHash, createHmac } from 'node:crypto';
import { createRequire } from 'node:module';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  cognitoTimestamp,
  N,
  padHex,
  passwordAuthenticationKey,
  passwordClaim,
} from '../../src/adapters/cognito/srp.js';

const require = createRequire(import.meta.url);
type Big = { toString(radix: number): string };
type BigCtor = new (hex: string, radix: number) => Big;
interface Helper {
  smallAValue: Big;
  largeAValue: Big | undefined;
  UValue: Big;
  getLargeAValue(cb: (err: unknown, A: Big) => void): void;
  getPasswordAuthenticationKey(
    u: string,
    p: string,
    B: Big,
    salt: Big,
    cb: (err: unknown, key: Uint8Array) => void,
  ): void;
  calculateS(x: Big, B: Big, cb: (err: unknown, S: Big) => void): void;
  hash(s: string): string;
  hexHash(hex: string): string;
  padHex(n: Big): string;
}
const AuthenticationHelper = require('amazon-cognito-identity-js/lib/AuthenticationHelper.js').default as new (
  pool: string,
) => Helper;
const BigInteger = require('amazon-cognito-identity-js/lib/BigInteger.js').default as BigCtor;
const DateHelper = require('amazon-cognito-identity-js/lib/DateHelper.js').default as new () => {
  getNowString(): string;
};

/** Deterministic bytes (SHA-256 counter mode), so the vectors are fixed but varied. */
function bytes(seed: string, n: number): Buffer {
  const out: Buffer[] = [];
  for (let i = 0; out.length * 32 < n; i++) out.push(createHash('sha256').update(`${seed}/${i}`).digest());
  return Buffer.concat(out).subarray(0, n);
}

interface Vector {
  poolName: string;
  username: string;
  password: string;
  a: string;
  salt: string;
  srpB: string;
  secretBlock: string;
  now: Date;
}

const NAMES: Array<[string, string]> = [
  ['alice@example.com', 'Correct-Horse-9'],
  ['b0b', 'p'],
  ['zoë.müller@example.de', 'pässwörd-Ünïcode-9'],
  ['用户', '密码🔑-Strong-1'],
  ['8f1c2d3e-0000-4000-8000-000000000001', ' spaces and : colons '],
];

const VECTORS: Vector[] = Array.from({ length: 24 }, (_, i) => {
  const [username, password] = NAMES[i % NAMES.length] as [string, string];
  const seed = `vector-${i}`;
  return {
    poolName: i % 2 ? 'AbCdEf123' : 'x9Y8z7',
    username,
    password,
    a: bytes(`${seed}/a`, 128).toString('hex'),
    // Salts of varied length and top bit (Cognito sends 16 bytes, sometimes fewer hex digits).
    salt: bytes(`${seed}/salt`, 16)
      .toString('hex')
      .slice(i % 3),
    srpB: bytes(`${seed}/B`, 384).toString('hex').replace(/^0+/, ''),
    secretBlock: bytes(`${seed}/block`, 64 + i).toString('base64'),
    // Days 1..28 exercise the day of month without its leading zero; hours/minutes/seconds with one.
    now: new Date(Date.UTC(2020 + (i % 7), i % 12, 1 + ((i * 5) % 28), (i * 7) % 24, (i * 13) % 60, (i * 17) % 60)),
  };
});

async function oracle(v: Vector) {
  const helper = new AuthenticationHelper(v.poolName);
  helper.smallAValue = new BigInteger(v.a, 16);
  helper.largeAValue = undefined;
  let A = '';
  helper.getLargeAValue((_e, big) => {
    A = big.toString(16);
  });
  const B = new BigInteger(v.srpB, 16);
  const salt = new BigInteger(v.salt, 16);
  // The helper answers a Uint8Array (a slice of the digest).
  const key = Buffer.from(
    await new Promise<Uint8Array>((resolve, reject) =>
      helper.getPasswordAuthenticationKey(v.username, v.password, B, salt, (e, k) => (e ? reject(e) : resolve(k))),
    ),
  );
  const x = new BigInteger(
    helper.hexHash(helper.padHex(salt) + helper.hash(`${v.poolName}${v.username}:${v.password}`)),
    16,
  );
  const S = await new Promise<Big>((resolve, reject) =>
    helper.calculateS(x, B, (e, s) => (e ? reject(e) : resolve(s))),
  );
  vi.setSystemTime(v.now);
  const timestamp = new DateHelper().getNowString();
  vi.useRealTimers();
  // What CognitoUser.authenticateUserDefaultAuth signs, with node's HMAC.
  const signature = createHmac('sha256', key)
    .update(
      Buffer.concat([
        Buffer.from(v.poolName, 'utf8'),
        Buffer.from(v.username, 'utf8'),
        Buffer.from(v.secretBlock, 'base64'),
        Buffer.from(timestamp, 'utf8'),
      ]),
    )
    .digest('base64');
  return { A, u: helper.UValue.toString(16), S: S.toString(16), key: key.toString('hex'), timestamp, signature };
}

afterEach(() => vi.useRealTimers());

describe('SRP known answers (amazon-cognito-identity-js AuthenticationHelper as the oracle)', () => {
  it.each(VECTORS.map((v, i) => [i, v] as const))(
    'vector %i: same A, u, S, key, timestamp and signature',
    async (_i, v) => {
      vi.useFakeTimers({ toFake: ['Date'] });
      const expected = await oracle(v);
      const input = { a: BigInt(`0x${v.a}`), poolName: v.poolName, userIdForSrp: v.username, password: v.password };
      const ours = await passwordAuthenticationKey({ ...input, salt: v.salt, srpB: v.srpB });
      expect(ours.A.toString(16)).toBe(expected.A);
      expect(ours.u.toString(16)).toBe(expected.u);
      expect(ours.S.toString(16)).toBe(expected.S);
      expect(Buffer.from(ours.key).toString('hex')).toBe(expected.key);
      expect(cognitoTimestamp(v.now)).toBe(expected.timestamp);
      const claim = await passwordClaim({
        ...input,
        salt: v.salt,
        srpB: v.srpB,
        secretBlock: v.secretBlock,
        now: v.now,
      });
      expect(claim).toEqual({ signature: expected.signature, timestamp: expected.timestamp });
    },
  );

  it('the vectors cover both paddings (top bit set and clear) of salt, u and S, so a padding slip goes red', async () => {
    const top = (n: bigint) => padHex(n).startsWith('00');
    const seen = {
      salt: new Set<boolean>(),
      u: new Set<boolean>(),
      S: new Set<boolean>(),
      oddSalt: new Set<boolean>(),
    };
    for (const v of VECTORS) {
      const r = await passwordAuthenticationKey({
        a: BigInt(`0x${v.a}`),
        poolName: v.poolName,
        userIdForSrp: v.username,
        password: v.password,
        salt: v.salt,
        srpB: v.srpB,
      });
      seen.salt.add(top(BigInt(`0x${v.salt}`)));
      seen.oddSalt.add(BigInt(`0x${v.salt}`).toString(16).length % 2 === 1);
      seen.u.add(top(r.u));
      seen.S.add(top(r.S));
    }
    for (const s of Object.values(seen)) expect([...s].sort()).toEqual([false, true]);
  });

  it('padHex is Java BigInteger.toByteArray() in hex', () => {
    expect(padHex(0x14n)).toBe('14');
    expect(padHex(0xecn)).toBe('00ec');
    expect(padHex(0x1ecn)).toBe('01ec');
    expect(padHex(0x8000n)).toBe('008000');
  });

  it('the timestamp has no leading zero on the day and is in UTC', () => {
    expect(cognitoTimestamp(new Date(Date.UTC(2024, 1, 5, 3, 4, 5)))).toBe('Mon Feb 5 03:04:05 UTC 2024');
    expect(cognitoTimestamp(new Date(Date.UTC(2025, 11, 31, 23, 59, 9)))).toBe('Wed Dec 31 23:59:09 UTC 2025');
  });

  it('rejects a B that is 0 mod N', async () => {
    await expect(
      passwordAuthenticationKey({ a: 5n, poolName: 'p', userIdForSrp: 'u', password: 'x', salt: '01', srpB: '0' }),
    ).rejects.toThrow(/B is zero/);
  });
});

describe('the SRP group', () => {
  it('N is the published 3072-bit prime of RFC 3526 / RFC 5054, as AWS’s helper has it', () => {
    const helper = new AuthenticationHelper('pool') as unknown as { N: Big };
    const published =
      'FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD' +
      'EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED' +
      'EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F' +
      '83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B' +
      'E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA0510' +
      '15728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7' +
      'ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864D87602733EC86A64521F2B18177B200C' +
      'BBE117577A615D6C770988C0BAD946E208E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF';
    expect(N.toString(16).toUpperCase()).toBe(published);
    expect(helper.N.toString(16).toUpperCase()).toBe(published);
  });
});
