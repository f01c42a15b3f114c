/**
 * The stored session record (src/session/records.ts) is built by joining strings so that it shares
 * the session's token strings instead of copying them: its text must stay what `JSON.stringify`
 * wrote before, for any string (quotes, backslashes, controls, lone and paired surrogates).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { serializeRecord } from '../../src/session/records.js';
import { seal } from '../../src/session/sealed.js';
import type { Session } from '../../src/session/session.js';

function record(id: string, signedInWith: 'password' | 'hostedUI', tokens: [string, string, string]): string {
  const [accessToken, idToken, refreshToken] = tokens;
  const session = { sessionId: id, signedInWith, tokens: seal({ accessToken, idToken, refreshToken }) } as Session;
  return serializeRecord(session);
}

describe('serializeRecord writes what JSON.stringify wrote', () => {
  it('for any id and token strings', () => {
    const text = fc.oneof(
      fc.string(),
      fc.string({ unit: 'binary' }),
      fc.string({ unit: fc.constantFrom('"', '\\', '\u0000', '\ud800', '\udc00', 'a', '.') }),
    );
    fc.assert(
      fc.property(
        text,
        fc.constantFrom('password' as const, 'hostedUI' as const),
        fc.tuple(text, text, text),
        (id, how, tokens) => {
          const [accessToken, idToken, refreshToken] = tokens;
          const expected = JSON.stringify({ v: 1, id, signedInWith: how, accessToken, idToken, refreshToken });
          expect(record(id, how, tokens)).toBe(expected);
        },
      ),
      { numRuns: 500 },
    );
  });
});
