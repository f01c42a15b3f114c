import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseMembers, serializeMembers } from '../../src/adapters/json-members.js';

describe('parseMembers / serializeMembers', () => {
  it('splits any JSON object, however formatted, into its members; the rewrite parses to the same object', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string({ unit: 'binary' }), fc.jsonValue()),
        fc.constantFrom(undefined, 0, 2, '\t', ' \n '),
        (object, indent) => {
          const text = JSON.stringify(object, null, indent as string | number | undefined);
          const expected = JSON.parse(text) as Record<string, unknown>; // -0 is written as 0
          const members = parseMembers(text);
          expect(members).not.toBeNull();
          expect([...(members?.keys() ?? [])].sort()).toEqual(Object.keys(object).sort());
          for (const [key, raw] of members ?? []) expect(JSON.parse(raw)).toEqual(expected[key]);
          expect(JSON.parse(serializeMembers(members ?? new Map()))).toEqual(expected);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('keeps the raw text of values a JSON round trip would change', () => {
    const text = '{ "big": 12345678901234567890, "f": 1.0, "e": 1E+2, "o": {"a" : [1, "}", "\\""]}, "s": "x" }';
    const members = parseMembers(text);
    expect(members).toEqual(
      new Map([
        ['big', '12345678901234567890'],
        ['f', '1.0'],
        ['e', '1E+2'],
        ['o', '{"a" : [1, "}", "\\""]}'],
        ['s', '"x"'],
      ]),
    );
    expect(serializeMembers(members ?? new Map())).toBe(
      '{"big":12345678901234567890,"f":1.0,"e":1E+2,"o":{"a" : [1, "}", "\\""]},"s":"x"}',
    );
  });

  it('a duplicated key keeps the last value, as JSON.parse does', () => {
    expect(parseMembers('{"a":1,"a":2}')).toEqual(new Map([['a', '2']]));
  });

  it.each(['', ' ', '{', '{"a":', '{"a":1', 'null', '[]', '[{"a":1}]', '"text"', '42', 'not json', '{"a":1}x'])(
    '%j is not an object: null',
    (text) => {
      expect(parseMembers(text)).toBeNull();
    },
  );
});
