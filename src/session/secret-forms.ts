/**
 * Finding a secret in the forms a service may quote it in. Rather than generating every encoding
 * of every secret (JSON once and twice, `\uXXXX`, percent in any case, `+` for space, HTML
 * entities, line wrapping: thousands of combinations), the text is decoded: a few views of it,
 * each with an index map back to the original, in which the plain secret is searched. Only the
 * encodings that cannot be decoded in place (base64, base64url, hex) are generated per secret.
 *
 * Written here rather than taken from a library: the HTML part is 5 named entities and numeric
 * ones (a full entity table is tens of kB, the core's bundle budget is ~20 kB), and the rest is
 * one linear pass per view.
 */

/** A text with, for each of its characters, the span `[from, to)` of the original it came from. */
interface View {
  text: string;
  from: number[];
  to: number[];
}

const SPACE = /\s/;
/** Percent byte, HTML entity (5 named, decimal, hex), or a JSON/JS backslash escape. Sticky: one match at an index. */
const ESCAPE = /%([0-9a-f]{2})|&(?:#(\d{1,7})|#x([0-9a-f]{1,6})|(amp|lt|gt|quot|apos));|\\(?:u([0-9a-f]{4})|(.))/iy;
const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
const BACKSLASHED: Record<string, string> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
/**
 * Decoding rounds: JSON-escaped twice, or JSON-escaped then URL-encoded, is two. Each round decodes
 * one syntax (percent, HTML, backslash): decoding all at once would eat a literal `\` of an
 * HTML-escaped secret, or a literal `&` of a URL-encoded one.
 */
const ROUNDS = 2;

function percent(text: string, at: number, lead: number): [string, number] | null {
  // A UTF-8 sequence is 1 to 4 percent-bytes; its lead byte says how many.
  const length = lead < 0xc0 ? 1 : lead < 0xe0 ? 2 : lead < 0xf0 ? 3 : 4;
  try {
    return [decodeURIComponent(text.slice(at, at + 3 * length)), 3 * length];
  } catch {
    return null;
  }
}

/** One decoding pass over `view` of the escapes starting with `kind` (`%`, `&`, `\`; none: ''), dropping whitespace when `strip`. */
function decoded(view: View, kind: string, strip: boolean): View {
  const out: View = { text: '', from: [], to: [] };
  const { text } = view;
  for (let i = 0; i < text.length; ) {
    let char = text[i] as string;
    let width = 1;
    ESCAPE.lastIndex = i;
    const m = char === kind ? ESCAPE.exec(text) : null;
    if (m) {
      const [all, hex, dec, hexRef, named, unicode, escaped] = m;
      const code = hex ?? dec ?? hexRef ?? unicode;
      if (hex !== undefined) {
        const decodedBytes = percent(text, i, Number.parseInt(hex, 16));
        if (decodedBytes) [char, width] = decodedBytes;
      } else {
        width = all.length;
        if (named !== undefined) char = NAMED[named.toLowerCase()] ?? all;
        else if (escaped !== undefined) char = BACKSLASHED[escaped] ?? escaped;
        else if (code !== undefined) {
          const n = Number.parseInt(code, dec === undefined ? 16 : 10);
          char = n <= 0x10ffff ? String.fromCodePoint(n) : all;
        }
      }
    }
    if (!(strip && SPACE.test(char))) {
      out.text += char;
      for (let k = 0; k < char.length; k++) {
        out.from.push(view.from[i] as number);
        out.to.push(view.to[i + width - 1] as number);
      }
    }
    i += width;
  }
  return out;
}

/** The views a secret is searched in: the text as is, without whitespace, then decoded in up to {@link ROUNDS} rounds. */
function viewsOf(text: string): View[] {
  const identity: View = { text, from: [], to: [] };
  for (let i = 0; i < text.length; i++) {
    identity.from.push(i);
    identity.to.push(i + 1);
  }
  const views = [identity, decoded(identity, '', true)];
  for (let round = 0, from = 1; round < ROUNDS; round++) {
    const to = views.length;
    for (const view of views.slice(from, to)) {
      for (const kind of '%&\\') {
        const next = decoded(view, kind, true);
        if (next.text !== view.text) views.push(next);
      }
    }
    from = to;
  }
  return views;
}

function base64(bytes: Uint8Array): string {
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/=+$/, '');
}

/** Longest value whose encoded forms are searched (Cognito tokens are a few kB). */
export const MAX_ENCODED_SOURCE = 16_384;

/**
 * The strings searched for one secret: itself, without its whitespace, and its base64, base64url
 * and hex. Base64 of a longer text holding the secret depends on the secret's offset modulo 3:
 * the three aligned cores are searched (only the 1 or 2 bytes at each end, which share a base64
 * character with their neighbours, are not covered). Forms shorter than 8 characters are left out:
 * they would match ordinary text.
 */
export function formsOf(secret: string): string[] {
  // A value longer than any bounded message can hold whole is searched as is: encoding it would
  // cost time and memory that a hostile answer chooses (a 330 KB "token"), for nothing.
  if (secret.length > MAX_ENCODED_SOURCE) return [secret];
  const bytes = new TextEncoder().encode(secret);
  const b64 = [base64(bytes)];
  for (const skip of [0, 1, 2])
    b64.push(base64(bytes.subarray(skip, skip + 3 * Math.floor((bytes.length - skip) / 3))));
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  const forms = [...b64, ...b64.map((f) => f.replace(/\+/g, '-').replace(/\//g, '_')), hex, hex.toUpperCase()];
  // Form encoding writes a space as `+`: decoding it in place would break a `+` of any other form.
  const stripped = secret.replace(/\s/g, '');
  const plus = secret.replace(/ /g, '+').replace(/\s/g, '');
  return [secret, ...[stripped, plus].filter((f) => f.length >= 6), ...forms.filter((f) => f.length >= 8)];
}

/**
 * Replaces, in `text`, every match of a needle (in any view) and every match of `shape` (a global
 * regex, run on each view) by its marker. Matches are mapped back to the original and merged; the
 * output keeps only the original's first `max` characters, so a secret across that bound is
 * replaced whole, never cut into a fragment.
 */
export function replaceForms(
  text: string,
  needles: readonly (readonly [needle: string, marker: string])[],
  shape: [RegExp, string],
  max: number,
): string {
  const ranges: [start: number, end: number, marker: string][] = [];
  for (const view of viewsOf(text)) {
    const add = (at: number, length: number, marker: string) =>
      ranges.push([view.from[at] as number, view.to[at + length - 1] as number, marker]);
    for (const [needle, marker] of needles) {
      if (needle.length === 0) continue;
      for (let at = view.text.indexOf(needle); at !== -1; at = view.text.indexOf(needle, at + needle.length)) {
        add(at, needle.length, marker);
      }
    }
    for (const m of view.text.matchAll(shape[0])) add(m.index, m[0].length, shape[1]);
  }
  ranges.sort((a, b) => a[0] - b[0]);
  let out = '';
  let cursor = 0;
  for (const [start, end, marker] of ranges) {
    if (start >= max) break;
    if (end <= cursor) continue;
    if (start >= cursor) out += text.slice(cursor, start) + marker;
    cursor = end;
  }
  if (cursor < max) out += text.slice(cursor, max);
  return text.length > Math.max(cursor, max) ? `${out}…` : out;
}
