import {
  AuthError,
  type AuthErrorCode,
  type AuthErrorOptions,
  isAuthErrorCode,
  JWT_LIKE,
  scrubSecrets,
} from '../errors.js';
import { formsOf, replaceForms } from './secret-forms.js';

/** What replaces a remembered secret in a message; tokens read `[redacted token]`, as the shape scrubber writes. */
export const REDACTED = '[redacted]';
export const REDACTED_TOKEN = '[redacted token]';

/** Shorter values are not scrubbed: replacing them would mangle ordinary words (Cognito passwords are ≥ 6). */
export const MIN_SECRET_LENGTH = 6;
/** Token groups remembered (a sign-in, each refresh, an adoption, a restore, an outbox read). */
const MAX_GROUPS = 16;
/** More than an outbox holds at once (its default cap is 100). */
const MAX_KEPT = 256;
/** How deep a cause chain (and AggregateError tree) is copied. */
const MAX_DEPTH = 6;
/** How many `errors` of an AggregateError are copied. */
const MAX_ERRORS = 16;
/** How many links (causes and `errors`) one error copies in all: a tree 16 wide and 6 deep is not copied whole. */
const MAX_LINKS = 64;
/** How much of a foreign message, and of a name or code, is kept. */
const MAX_TEXT = 1000;
const MAX_NAME = 100;

/**
 * The one way the scrubber reads a foreign value: a throwing getter or a hostile Proxy gives
 * `undefined`. Each field is read once (a getter may answer something else the second time).
 */
function read(value: unknown, key: PropertyKey): unknown {
  try {
    return (value as Record<PropertyKey, unknown>)[key];
  } catch {
    return undefined;
  }
}

/** `instanceof` that a Proxy's `getPrototypeOf` trap cannot turn into a throw. */
function isA(value: unknown, type: abstract new (...args: never[]) => unknown): boolean {
  try {
    return value instanceof type;
  } catch {
    return false;
  }
}

function text(value: unknown): string {
  try {
    return String(value);
  } catch {
    return '[unprintable]';
  }
}

function statusOf(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** The fields a copy keeps of a value, each read once and scrubbed. */
function fieldsOf(value: unknown, scrub: (input: string, max?: number) => string) {
  const isObject = (typeof value === 'object' && value !== null) || typeof value === 'function';
  const get = (key: string) => (isObject ? read(value, key) : undefined);
  const name = get('name');
  const message = get('message');
  const code = get('code');
  return {
    isObject,
    name: typeof name === 'string' ? scrub(name, MAX_NAME) : 'Error',
    message: isObject ? (typeof message === 'string' ? scrub(message) : '') : scrub(text(value)),
    code: typeof code === 'string' || typeof code === 'number' ? scrub(String(code), MAX_NAME) : undefined,
    cause: get('cause'),
    errors: get('errors'),
    httpStatusCode: statusOf(read(get('$metadata'), 'httpStatusCode')),
    status: statusOf(get('status')),
    statusCode: statusOf(get('statusCode')),
  };
}

/**
 * A scrubbed, frozen copy of a thrown value, kept as an error's `cause`. It keeps only `name`, `code`,
 * the HTTP status (`$metadata.httpStatusCode`, `status`, `statusCode`), a scrubbed `message`, and the
 * same copies of its own `cause` and (for an AggregateError) `errors`. Nothing else is copied.
 */
export class SafeCause extends Error {
  declare readonly code?: string;
  declare readonly status?: number;
  declare readonly statusCode?: number;
  declare readonly $metadata?: { readonly httpStatusCode: number };
  declare readonly errors?: readonly SafeCause[];
}

/**
 * The exact secret strings one auth instance has held, and the scrubber that removes them.
 *
 * The JWT/JWE shape scrubber ({@link scrubSecrets}) only finds token-shaped text; a password, an opaque
 * refresh token or a Cognito challenge `session` goes through it. This registry remembers those exact
 * values (tokens of the last sessions, values held while a step runs) so that every message and
 * every cause authchart keeps can be scrubbed of them, whatever their shape.
 *
 * @example
 * ```ts
 * const secrets = new SecretRegistry();
 * secrets.remember(['opaque-refresh-token-123']);
 * secrets.scrub('refused opaque-refresh-token-123'); // 'refused [redacted token]'
 * ```
 */
export class SecretRegistry {
  #groups: { values: string[]; marker: string }[] = [];
  // Made when first needed, and the held map let go of once empty: an idle signed-in instance
  // holds no value, and keeps none for an outbox.
  #held: Map<symbol, string> | null = null;
  #kept: Map<string, () => void> | null = null;
  #sorted: [needle: string, marker: string][] | null = [];

  /** Remembers values (one session's tokens, say) among the last {@link MAX_GROUPS} groups. */
  remember(values: readonly unknown[], marker = REDACTED_TOKEN): void {
    const group = values.filter((v): v is string => typeof v === 'string' && v.length >= MIN_SECRET_LENGTH);
    if (group.length === 0 || group.every((v) => this.#knows(v))) return;
    // Copied to their exact length: an array grown by push keeps 17 slots or more, and an idle
    // instance keeps its session's group for as long as it lives.
    const groups = [...this.#groups, { values: group.slice(), marker }];
    this.#groups = groups.length > MAX_GROUPS ? groups.slice(1) : groups;
    this.#sorted = null;
  }

  /** Remembers a value until the returned function is called (a password while its sign-in runs). */
  hold(value: unknown): () => void {
    if (typeof value !== 'string' || value.length < MIN_SECRET_LENGTH) return () => {};
    const key = Symbol('held');
    this.#held ??= new Map();
    this.#held.set(key, value);
    this.#sorted = null;
    return () => {
      if (!this.#held?.delete(key)) return;
      this.#sorted = null;
      if (this.#held.size === 0) this.#held = null;
    };
  }

  /**
   * Holds a value among the newest {@link MAX_KEPT} kept so: the outbox's tokens, apart from the
   * sessions' groups (a drain of many must not push those out).
   */
  keep(value: string): void {
    this.#kept ??= new Map();
    const kept = this.#kept;
    const release = kept.get(value);
    // Read again: the newest now (a token long in the outbox is never the one let go).
    kept.delete(value);
    kept.set(value, release ?? this.hold(value));
    for (const [old, release] of kept) {
      if (kept.size <= MAX_KEPT) break;
      release();
      kept.delete(old);
    }
  }

  #knows(value: string): boolean {
    return this.#groups.some((g) => g.values.includes(value)) || [...(this.#held?.values() ?? [])].includes(value);
  }

  /** Every form searched (see {@link formsOf}), longest first, with its marker. */
  #needles(): [needle: string, marker: string][] {
    if (this.#sorted) return this.#sorted;
    const forms = new Map<string, string>();
    const values: [string, string][] = [
      ...this.#groups.flatMap((g) => g.values.map((v): [string, string] => [v, g.marker])),
      ...[...(this.#held?.values() ?? [])].map((v): [string, string] => [v, REDACTED]),
    ];
    for (const [value, marker] of values) {
      for (const form of formsOf(value)) if (!forms.has(form)) forms.set(form, marker);
    }
    this.#sorted = [...forms].sort((a, b) => b[0].length - a[0].length);
    return this.#sorted;
  }

  /**
   * Replaces every remembered value, in any form {@link replaceForms} finds (escaped, encoded,
   * wrapped), with its marker (`[redacted token]`, `[redacted]`), and anything JWT-shaped. The
   * answer keeps at most `max` characters of the input (a secret across the bound goes whole).
   *
   * @example
   * ```ts
   * new SecretRegistry().scrub('bad eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.'); // 'bad [redacted token]'
   * ```
   */
  scrub(input: string, max = MAX_TEXT): string {
    const needles = this.#needles();
    // Linear in what it reads: the bound, plus room for a secret across it in its widest escaped
    // form (`\uXXXX` then JSON- or URL-escaped: 8 characters a byte; the longest needle, hex, is 2).
    // Bounded too: a needle longer than that window cannot fit a bounded message whole anyway.
    const longest = Math.min(needles[0]?.[0].length ?? 0, 4 * MAX_TEXT);
    const window = input.slice(0, max + 4 * longest + 256);
    return scrubSecrets(replaceForms(window, needles, [JWT_LIKE, REDACTED_TOKEN], max));
  }

  /**
   * Whatever a step threw, as an AuthError safe to show, log and serialise: an AuthError keeps its
   * code (if it is one of {@link AuthErrorCode}, else `fallback`), `serviceName` and `challengeName`
   * with a scrubbed message; anything else becomes `fallback` (`Service`). The cause chain is
   * replaced by {@link SafeCause} copies. It never throws, and never hands back the raw value:
   * should scrubbing itself fail, the answer is `<what> failed`, with no cause.
   *
   * @example
   * ```ts
   * const error = secrets.safeError(new Error('bad token abc…'), 'RevokeToken');
   * error.code; // 'Service'
   * ```
   */
  safeError(thrown: unknown, what: string, fallback: AuthErrorCode = 'Service'): AuthError {
    let error: AuthError;
    try {
      error = this.#safeError(thrown, what, fallback);
    } catch {
      error = new AuthError(fallback, `${what} failed`);
    }
    // The stack's first line repeats the message; frames are authchart's own.
    error.stack = `${error.name}: ${error.message}`;
    return error;
  }

  #fieldsOf(value: unknown) {
    return fieldsOf(value, (input, max) => this.scrub(input, max));
  }

  #safeError(thrown: unknown, what: string, fallback: AuthErrorCode): AuthError {
    const budget = { links: MAX_LINKS };
    const seen = new WeakSet<object>();
    const f = this.#fieldsOf(thrown);
    if (f.isObject) seen.add(thrown as object);
    if (isA(thrown, AuthError)) {
      const cause = this.#copy(f.cause, 1, seen, budget);
      const serviceName = read(thrown, 'serviceName');
      const challengeName = read(thrown, 'challengeName');
      // An undefined option is no option (AuthError leaves it out).
      return new AuthError(isAuthErrorCode(f.code) ? f.code : fallback, f.message, {
        cause,
        serviceName: typeof serviceName === 'string' ? this.scrub(serviceName, MAX_NAME) : undefined,
        challengeName: typeof challengeName === 'string' ? this.scrub(challengeName, MAX_NAME) : undefined,
      } as AuthErrorOptions);
    }
    const errorLike = isA(thrown, Error);
    const name = errorLike ? f.name : typeof thrown;
    const detail = errorLike || !f.isObject ? f.message : this.scrub(text(thrown));
    const cause = this.#link(thrown, f, 0, seen, budget);
    // Scrubbed again once joined: a secret split across `name` and `message` ("hunter22" and
    // "apples" of "hunter22: apples") is whole only here.
    return new AuthError(fallback, this.scrub(`${what} failed: ${name}: ${detail}`), {
      cause,
      serviceName: fallback === 'Service' ? name : undefined,
    } as AuthErrorOptions);
  }

  /** A scrubbed frozen copy of one link of a cause chain; `undefined` past the bounds or on a cycle. */
  #copy(value: unknown, depth: number, seen: WeakSet<object>, budget: { links: number }): SafeCause | undefined {
    if (value === undefined || depth > MAX_DEPTH || budget.links <= 0) return undefined;
    if ((typeof value === 'object' && value !== null) || typeof value === 'function') {
      if (seen.has(value)) return undefined;
      seen.add(value);
    }
    try {
      return this.#link(value, this.#fieldsOf(value), depth, seen, budget);
    } catch {
      // Not expected (every read is guarded): keep that there was a cause, nothing of it.
      return Object.freeze(new SafeCause('[unreadable]'));
    }
  }

  #link(
    value: unknown,
    f: ReturnType<typeof fieldsOf>,
    depth: number,
    seen: WeakSet<object>,
    budget: { links: number },
  ): SafeCause {
    budget.links--;
    const name = f.isObject ? f.name : typeof value;
    const inner = f.isObject ? this.#copy(f.cause, depth + 1, seen, budget) : undefined;
    const copy = new SafeCause(f.message, inner === undefined ? undefined : { cause: inner });
    const fields: Record<string, unknown> = { name, stack: this.scrub(`${name}: ${f.message}`) };
    if (f.code !== undefined) fields['code'] = f.code;
    if (f.httpStatusCode !== undefined) fields['$metadata'] = Object.freeze({ httpStatusCode: f.httpStatusCode });
    for (const key of ['status', 'statusCode'] as const) if (f[key] !== undefined) fields[key] = f[key];
    // An AggregateError's `errors`, read item by item (a Proxy array may throw on any of them).
    let isArray = false;
    try {
      isArray = Array.isArray(f.errors);
    } catch {}
    if (isArray) {
      const copies: SafeCause[] = [];
      const length = Math.min(Number(read(f.errors, 'length')) || 0, MAX_ERRORS);
      for (let i = 0; i < length; i++) {
        const c = this.#copy(read(f.errors, i), depth + 1, seen, budget);
        if (c) copies.push(c);
      }
      fields['errors'] = Object.freeze(copies);
    }
    for (const [key, v] of Object.entries(fields)) {
      Object.defineProperty(copy, key, { value: v, enumerable: key !== 'stack', writable: false });
    }
    return Object.freeze(copy);
  }
}
