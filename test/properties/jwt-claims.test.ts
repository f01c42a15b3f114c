/**
 * Reading a JWT's claims (src/session/jwt.ts): the same answers as `jose`'s `decodeJwt`, the
 * library it replaced to save the core's bytes, for well-formed tokens and for garbage alike.
 * A failure is `InvalidToken` naming the token, never holding its value.
 */
import fc from 'fast-check';
import { decodeJwt } from 'jose';
import { describe, expect, it } from 'vitest';
import { isAuthError } from '../../src/index.js';
import { jwtClaims } from '../../src/session/jwt.js';

const b64url = (text: string) => Buffer.from(text, 'utf8').toString('base64url');
const jwt = (payload: string) => `${b64url('{"alg":"RS256"}')}.${b64url(payload)}.c2ln`;

/** What `jose` answers: the claims, or that it threw. */
function oracle(token: string): unknown {
  try {
    return decodeJwt(token);
  } catch {
    return 'throws';
  }
}

function ours(token: string): unknown {
  try {
    return jwtClaims(token, 'access token');
  } catch (error) {
    if (!isAuthError(error) || error.code !== 'InvalidToken') throw error;
    expect(error.message).toBe('The access token is not a decodable JWT');
    return 'throws';
  }
}

describe('jwtClaims reads what jose decodeJwt reads', () => {
  it.each([
    ['claims with non-ASCII text (multi-byte UTF-8, base64url - and _)', jwt('{"name":"Zoë ✓ 日本 ??>>","n":1}')],
    ['no padding on the payload', jwt('{"a":1}')],
    ['two parts', `${b64url('{}')}.${b64url('{"a":1}')}`],
    ['five parts (an encrypted JWT)', `${jwt('{"a":1}')}.x.y`],
    ['a payload that is not base64url', `${b64url('{}')}.%%%.c2ln`],
    ['a payload that is not JSON', jwt('not json')],
    ['an array for claims', jwt('[1,2]')],
    ['null for claims', jwt('null')],
    ['a payload that is not UTF-8', `${b64url('{}')}.${Buffer.from([0x7b, 0xff, 0x7d]).toString('base64url')}.c2ln`],
    [
      'a claim that is not UTF-8',
      `${b64url('{}')}.${Buffer.from('{"a":"\xff"}', 'latin1').toString('base64url')}.c2ln`,
    ],
    ['the empty string', ''],
  ])('%s', (_, token) => {
    expect(ours(token)).toEqual(oracle(token));
  });

  it('for any JSON object as claims, and for any string at all', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (claims) => {
        const token = jwt(JSON.stringify(claims));
        expect(ours(token)).toEqual(oracle(token));
      }),
    );
    fc.assert(
      fc.property(fc.string(), fc.string(), (head, body) => {
        const token = `${head}.${body}.sig`;
        expect(ours(token)).toEqual(oracle(token));
      }),
    );
    fc.assert(
      fc.property(fc.uint8Array(), (bytes) => {
        const token = `e30.${Buffer.from(bytes).toString('base64url')}.sig`;
        expect(ours(token)).toEqual(oracle(token));
      }),
    );
  });
});
