/**
 * The server half of Cognito's SRP, written independently of src/adapters/cognito/srp.ts (node:crypto
 * and BigInt, RFC 5054 formulas): it derives the verifier from the password and CHECKS the client's
 * PASSWORD_CLAIM_SIGNATURE. It never accepts a signature it did not compute itself.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';

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

/** One SRP exchange: `begin` answers PASSWORD_VERIFIER parameters, `verify` checks the proof. */
export function srpServer(user: SrpUser) {
  const salt = randomBytes(16);
  // Cognito reads SALT as a big integer: leading zero bytes drop, a top bit gains a 00.
  const x = H(bytes(BigInt(`0x${salt.toString('hex')}`)), hashOf(user));
  const v = pow(g, x, N);
  let state: { A: bigint; b: bigint; B: bigint; secretBlock: Buffer } | undefined;
  return {
    begin(srpA: string) {
      const A = BigInt(`0x${srpA}`);
      if (A % N === 0n) throw new Error('bad A');
      const b = BigInt(`0x${randomBytes(64).toString('hex')}`);
      const B = (k * v + pow(g, b, N)) % N;
      state = { A, b, B, secretBlock: randomBytes(48) };
      return {
        USER_ID_FOR_SRP: user.userId,
        SALT: salt.toString('hex'),
        SRP_B: B.toString(16),
        SECRET_BLOCK: state.secretBlock.toString('base64'),
      };
    },
    /** True only for the signature this server computes from the verifier. */
    verify(r: Record<string, string | undefined>): boolean {
      if (!state || r['PASSWORD_CLAIM_SECRET_BLOCK'] !== state.secretBlock.toString('base64')) return false;
      const timestamp = r['TIMESTAMP'] ?? '';
      if (!/^(Sun|Mon|Tue|Wed|Thu|Fri|Sat) [A-Z][a-z]{2} [1-9]\d? \d\d:\d\d:\d\d UTC \d{4}$/.test(timestamp))
        return false;
      const u = H(bytes(state.A), bytes(state.B));
      const S = pow((state.A * pow(v, u, N)) % N, state.b, N);
      const prk = createHmac('sha256', bytes(u)).update(bytes(S)).digest();
      const key = createHmac('sha256', prk).update('Caldera Derived Key\u0001').digest().subarray(0, 16);
      const expected = createHmac('sha256', key)
        .update(Buffer.concat([Buffer.from(user.poolName + user.userId), state.secretBlock, Buffer.from(timestamp)]))
        .digest('base64');
      return r['USERNAME'] === user.userId && r['PASSWORD_CLAIM_SIGNATURE'] === expected;
    },
  };
}

function hashOf(user: SrpUser): Buffer {
  return createHash('sha256').update(`${user.poolName}${user.userId}:${user.password}`, 'utf8').digest();
}
