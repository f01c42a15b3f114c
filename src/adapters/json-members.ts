/**
 * The top-level members of a JSON object as raw text, so a rewrite keeps every value authchart
 * does not own byte for byte (big integers, `1.0`, nested objects of other apps), where a
 * `JSON.parse`/`JSON.stringify` round trip would change them.
 */

const WS = new Set([' ', '\t', '\n', '\r']);

/**
 * Each member of a JSON object text, key → the value's raw JSON text; `null` when the text is not
 * one JSON object (empty, truncated, not JSON, or an array/string/number/null).
 *
 * @example
 * parseMembers('{"a": 1.0, "b": "x"}'); // Map { 'a' => '1.0', 'b' => '"x"' }
 * parseMembers('{"a":'); // null
 */
export function parseMembers(text: string): Map<string, string> | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return null;
  // The text is valid JSON, so a scan only has to find where each key and value ends.
  const members = new Map<string, string>();
  let i = skipWs(text, text.indexOf('{') + 1);
  while (text[i] !== '}') {
    const keyEnd = stringEnd(text, i);
    const key = JSON.parse(text.slice(i, keyEnd)) as string;
    const valueStart = skipWs(text, skipWs(text, keyEnd) + 1); // past the ':'
    const valueEnd = valueEndAt(text, valueStart);
    members.set(key, text.slice(valueStart, valueEnd).trimEnd());
    i = skipWs(text, valueEnd);
    if (text[i] === ',') i = skipWs(text, i + 1);
  }
  return members;
}

/**
 * A JSON object text from members (key → raw JSON value), in the map's order.
 *
 * @example
 * serializeMembers(new Map([['a', '1.0']])); // '{"a":1.0}'
 */
export function serializeMembers(members: ReadonlyMap<string, string>): string {
  return `{${[...members].map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`;
}

function skipWs(text: string, i: number): number {
  let j = i;
  while (j < text.length && WS.has(text[j] as string)) j++;
  return j;
}

/** `i` is at an opening quote; returns the index just past the closing one. */
function stringEnd(text: string, i: number): number {
  let j = i + 1;
  while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
  return j + 1;
}

/** The index of the `,` or `}` that ends the value starting at `i` (depth 0, outside strings). */
function valueEndAt(text: string, i: number): number {
  let depth = 0;
  let j = i;
  for (;;) {
    const c = text[j];
    if (c === '"') {
      j = stringEnd(text, j);
      continue;
    }
    if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') {
      if (depth === 0) return j;
      depth--;
    } else if (c === ',' && depth === 0) return j;
    j++;
  }
}
