import { inspect } from 'node:util';

/** Reads a property without letting a throwing getter (or Proxy trap) stop the walk. */
function attempt<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch {
    return undefined;
  }
}

/**
 * Every string an app could get out of `value`: the strings inside it (own properties, enumerable
 * or not, symbols, getters, cause chains, `errors`, Map and Set entries, array items), and how it
 * prints: `util.inspect` (all depth, hidden properties), `JSON.stringify`, `String()`, and the
 * inspection of its `structuredClone` where cloning works.
 */
export function reachable(value: unknown): string[] {
  const out: string[] = [];
  const seen = new Set<unknown>();
  const walk = (v: unknown, depth: number): void => {
    if (typeof v === 'string') {
      out.push(v);
      return;
    }
    if ((typeof v !== 'object' && typeof v !== 'function') || v === null || seen.has(v) || depth > 50) return;
    seen.add(v);
    const text = attempt(() => String(v));
    if (text !== undefined) out.push(text);
    for (const key of attempt(() => Reflect.ownKeys(v)) ?? []) {
      if (typeof key === 'symbol') out.push(key.description ?? '');
      else out.push(key);
      const desc = attempt(() => Object.getOwnPropertyDescriptor(v, key));
      if (desc && 'value' in desc) walk(desc.value, depth + 1);
      else if (desc?.get)
        walk(
          attempt(() => desc.get?.call(v)),
          depth + 1,
        );
    }
    // A Proxy's getPrototypeOf trap may throw: a raw thrown value reaching the app is walked too.
    if (attempt(() => v instanceof Map)) {
      for (const [k, x] of v as Map<unknown, unknown>) {
        walk(k, depth + 1);
        walk(x, depth + 1);
      }
    }
    if (attempt(() => v instanceof Set)) for (const x of v as Set<unknown>) walk(x, depth + 1);
  };
  walk(value, 0);
  const printed = [
    attempt(() => inspect(value, { depth: Infinity, showHidden: true })),
    attempt(() => JSON.stringify(value)),
    attempt(() => String(value)),
    attempt(() => inspect(structuredClone(value), { depth: Infinity, showHidden: true })),
  ];
  for (const p of printed) if (typeof p === 'string') out.push(p);
  return out;
}

/** The forms `leaks` looks for by default: as is, JSON-escaped, URL-encoded. */
const quoted = (secret: string) => [secret, JSON.stringify(secret).slice(1, -1), encodeURIComponent(secret)];

/** The secrets found in any of the texts, in any of the forms `formsOf` gives for it. */
export function leaks(texts: readonly string[], secrets: Iterable<string>, formsOf = quoted): string[] {
  const found: string[] = [];
  for (const secret of secrets) {
    const forms = formsOf(secret);
    if (texts.some((t) => forms.some((f) => t.includes(f)))) found.push(secret.slice(0, 6));
  }
  return found;
}
