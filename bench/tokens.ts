/**
 * Cognito-shaped tokens of real size: access ~1 KB and ID ~1.2 KB (RS256 JWTs with Cognito's
 * claims and a 256-byte signature), refresh ~1.8 KB (a five-part JWE). Unsigned, like the tests'
 * tokens: authchart decodes, it never verifies. Every call gives distinct strings, and they are
 * flat one-byte strings (not ropes), so a later decode does not allocate a flattened copy that a
 * heap figure would then charge to the library.
 */
import { randomBytes } from 'node:crypto';

export interface BenchTokens {
  accessToken: string;
  idToken: string;
  refreshToken: string;
}

let serial = 0;
const b64 = (s: string | Buffer): string => Buffer.from(s).toString('base64url');
/** A flat copy: Buffer round trip always yields a sequential (flat) V8 string. */
const flat = (s: string): string => Buffer.from(s, 'latin1').toString('latin1');
const uuid = (n: number) =>
  `${(n * 2654435761).toString(16).padStart(8, '0').slice(-8)}-7c1e-4a8b-9f3d-${String(n).padStart(12, '0')}`;

function jwt(header: object, claims: Record<string, unknown>, size: number): string {
  const head = b64(JSON.stringify(header));
  const sig = b64(randomBytes(256)); // RS256 signature: 342 base64url characters
  const body = (c: Record<string, unknown>) => b64(JSON.stringify(c));
  // Pad a claim so the whole token comes out at about `size` characters, as Cognito's do.
  const base = `${head}.${body(claims)}.${sig}`.length;
  const pad = Math.max(0, Math.floor(((size - base) * 3) / 4) - 12);
  return flat(`${head}.${body({ ...claims, ...(pad > 0 ? { 'custom:pad': 'x'.repeat(pad) } : {}) })}.${sig}`);
}

/**
 * @example const t = cognitoTokens('bench@example.com'); t.accessToken.length // ≈ 1000
 */
export function cognitoTokens(username: string, nowSec = Math.floor(Date.now() / 1000)): BenchTokens {
  const n = ++serial;
  const sub = uuid(n);
  const iss = 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_bench';
  const header = { kid: b64(randomBytes(32)), alg: 'RS256' };
  const common = {
    sub,
    iss,
    origin_jti: uuid(n + 1e6),
    event_id: uuid(n + 2e6),
    auth_time: nowSec,
    iat: nowSec,
    exp: nowSec + 3600,
    jti: uuid(n + 3e6),
  };
  const accessToken = jwt(
    header,
    { ...common, token_use: 'access', scope: 'aws.cognito.signin.user.admin', client_id: 'benchclient', username },
    1000,
  );
  const idToken = jwt(
    header,
    {
      ...common,
      aud: 'benchclient',
      email_verified: true,
      'cognito:username': username,
      token_use: 'id',
      email: username,
    },
    1200,
  );
  // JWE compact form: header . encrypted key (RSA-OAEP, 256 bytes) . IV . ciphertext . tag
  const jweHead = b64(JSON.stringify({ cty: 'JWT', enc: 'A256GCM', alg: 'RSA-OAEP' }));
  const refreshToken = flat(
    `${jweHead}.${b64(randomBytes(256))}.${b64(randomBytes(12))}.${b64(randomBytes(1040))}.${b64(randomBytes(16))}`,
  );
  return { accessToken, idToken, refreshToken };
}

/** Characters in one token set (one byte each in V8: they are ASCII). */
export const tokenChars = (t: BenchTokens): number => t.accessToken.length + t.idToken.length + t.refreshToken.length;
