/**
 * Sealed values keep secrets (tokens, passwords) out of everything that can be serialised.
 *
 * A sealed box is an empty frozen object; its value lives in a module-private WeakMap. JSON,
 * structured clone (postMessage), `util.inspect` and the Stately inspector all see
 * `"[redacted]"` or `{}`; only authchart's own code can open it. This is what lets snapshots,
 * events and actor inputs flow to an inspector without a token in them.
 */
const vault = new WeakMap<object, unknown>();

declare const sealedBrand: unique symbol;
/** A value only authchart can open; it serialises as `"[redacted]"`. */
export interface Sealed<T> {
  readonly [sealedBrand]: T;
  toJSON(): string;
}

const sealedPrototype = Object.freeze({
  toJSON: () => '[redacted]',
  toString: () => '[redacted]',
  [Symbol.for('nodejs.util.inspect.custom')]: () => '[redacted]',
});

export function seal<T>(value: T): Sealed<T> {
  const box = Object.freeze(Object.create(sealedPrototype) as object);
  vault.set(box, value);
  return box as Sealed<T>;
}

export function unseal<T>(box: Sealed<T>): T {
  if (!vault.has(box)) throw new TypeError('not a sealed value');
  return vault.get(box) as T;
}
