import { AuthError, type AuthErrorCode, scrubSecrets } from '../errors.js';

/** What replaces a remembered secret in a message; tokens read `[redacted token]`, as the shape scrubber writes. */
export const REDACTED = '[redacted]';
export const REDACTED_TOKEN = '[redacted token]';

/** Shorter values are not scrubbed: replacing them would mangle ordinary words (Cognito passwords are ≥ 6). */
export const MIN_SECRET_LENGTH = 6;
/** Token groups remembered (a sign-in, each refresh, an adoption, a restore, an outbox read). */
const MAX_GROUPS = 16;
/** How deep a cause chain (and AggregateError tree) is copied. */
const MAX_DEPTH = 6;
/** How many `errors` of an AggregateError are copied. */
const MAX_ERRORS = 16;

/** A read that may hit a throwing getter or a hostile Proxy: `undefined` instead of a throw. */
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
  #held = new Map<symbol, string>();
  #sorted: [needle: string, marker: string][] | null = [];

  /** Remembers values (one session's tokens, say) among the last {@link MAX_GROUPS} groups. */
  remember(values: readonly unknown[], marker = REDACTED_TOKEN): void {
    const group = values.filter((v): v is string => typeof v === 'string' && v.length >= MIN_SECRET_LENGTH);
    if (group.length === 0 || group.every((v) => this.#knows(v))) return;
    this.#groups.push({ values: group, marker });
    if (this.#groups.length > MAX_GROUPS) this.#groups.shift();
    this.#sorted = null;
  }

  /** Remembers a value until the returned function is called (a password while its sign-in runs). */
  hold(value: unknown): () => void {
    if (typeof value !== 'string' || value.length < MIN_SECRET_LENGTH) return () => {};
    const key = Symbol('held');
    this.#held.set(key, value);
    this.#sorted = null;
    return () => {
      if (this.#held.delete(key)) this.#sorted = null;
    };
  }

  #knows(value: string): boolean {
    return this.#groups.some((g) => g.values.includes(value)) || [...this.#held.values()].includes(value);
  }

  /** Every form a secret may be quoted in: as is, JSON-escaped, URL-encoded. Longest first. */
  #needles(): [needle: string, marker: string][] {
    if (this.#sorted) return this.#sorted;
    const forms = new Map<string, string>();
    const values: [string, string][] = [
      ...this.#groups.flatMap((g) => g.values.map((v): [string, string] => [v, g.marker])),
      ...[...this.#held.values()].map((v): [string, string] => [v, REDACTED]),
    ];
    for (const [value, marker] of values) {
      for (const form of [value, JSON.stringify(value).slice(1, -1), encodeURIComponent(value)]) {
        if (!forms.has(form)) forms.set(form, marker);
      }
    }
    this.#sorted = [...forms].sort((a, b) => b[0].length - a[0].length);
    return this.#sorted;
  }

  /**
   * Replaces every remembered value with its marker (`[redacted token]`, `[redacted]`), then anything JWT-shaped.
   *
   * @example
   * ```ts
   * new SecretRegistry().scrub('bad eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.'); // 'bad [redacted token]'
   * ```
   */
  scrub(input: string): string {
    let out = input;
    for (const [needle, marker] of this.#needles()) if (out.includes(needle)) out = out.split(needle).join(marker);
    return scrubSecrets(out);
  }

  /**
   * Whatever a step threw, as an AuthError safe to show, log and serialise: an AuthError keeps its
   * code, `serviceName` and `challengeName` with a scrubbed message; anything else becomes `fallback`
   * (`Service`) as {@link toAuthError} would. The cause chain is replaced by {@link SafeCause} copies.
   *
   * @example
   * ```ts
   * const error = secrets.safeError(new Error('bad token abc…'), 'RevokeToken');
   * error.code; // 'Service'
   * ```
   */
  safeError(thrown: unknown, what: string, fallback: AuthErrorCode = 'Service'): AuthError {
    const seen = new WeakSet<object>();
    let error: AuthError;
    if (isA(thrown, AuthError)) {
      const { code } = thrown as AuthError;
      seen.add(thrown as AuthError);
      const serviceName = read(thrown, 'serviceName');
      const challengeName = read(thrown, 'challengeName');
      const cause = this.#copy(read(thrown, 'cause'), 1, seen);
      error = new AuthError(code, this.scrub(text(read(thrown, 'message'))), {
        ...(cause === undefined ? {} : { cause }),
        ...(typeof serviceName === 'string' ? { serviceName: this.scrub(serviceName) } : {}),
        ...(typeof challengeName === 'string' ? { challengeName: this.scrub(challengeName) } : {}),
      });
    } else {
      const errorLike = isA(thrown, Error);
      const rawName = errorLike ? read(thrown, 'name') : typeof thrown;
      const name = this.scrub(typeof rawName === 'string' ? rawName : 'Error');
      const detail = this.scrub(text(errorLike ? read(thrown, 'message') : thrown));
      const cause = this.#copy(thrown, 0, seen);
      error = new AuthError(fallback, `${what} failed: ${name}: ${detail}`, {
        ...(cause === undefined ? {} : { cause }),
        ...(fallback === 'Service' ? { serviceName: name } : {}),
      });
    }
    // The stack's first line repeats the message; frames are authchart's own.
    error.stack = `${error.name}: ${error.message}`;
    return error;
  }

  /** A scrubbed frozen copy of one link of a cause chain; `undefined` past the depth bound or on a cycle. */
  #copy(value: unknown, depth: number, seen: WeakSet<object>): SafeCause | undefined {
    try {
      return this.#copyLink(value, depth, seen);
    } catch {
      // A hostile value (a Proxy whose every trap throws, say): keep that there was a cause, nothing of it.
      return Object.freeze(new SafeCause('[unreadable]'));
    }
  }

  #copyLink(value: unknown, depth: number, seen: WeakSet<object>): SafeCause | undefined {
    if (value === undefined || depth > MAX_DEPTH) return undefined;
    const isObject = (typeof value === 'object' && value !== null) || typeof value === 'function';
    if (isObject) {
      if (seen.has(value)) return undefined;
      seen.add(value);
    }
    const rawName = isObject ? read(value, 'name') : undefined;
    const name = typeof rawName === 'string' ? this.scrub(rawName) : isObject ? 'Error' : typeof value;
    const rawMessage = isObject ? read(value, 'message') : value;
    const message = isObject && typeof rawMessage !== 'string' ? '' : this.scrub(text(rawMessage));
    const inner = isObject ? this.#copy(read(value, 'cause'), depth + 1, seen) : undefined;
    const copy = new SafeCause(message, inner === undefined ? undefined : { cause: inner });
    const fields: Record<string, unknown> = { name, stack: `${name}: ${message}` };
    if (isObject) {
      const code = read(value, 'code');
      if (typeof code === 'string' || typeof code === 'number') fields['code'] = this.scrub(String(code));
      const httpStatusCode = statusOf(read(read(value, '$metadata'), 'httpStatusCode'));
      if (httpStatusCode !== undefined) fields['$metadata'] = Object.freeze({ httpStatusCode });
      for (const key of ['status', 'statusCode'] as const) {
        const status = statusOf(read(value, key));
        if (status !== undefined) fields[key] = status;
      }
      const errors = read(value, 'errors');
      if (Array.isArray(errors)) {
        const copies = errors
          .slice(0, MAX_ERRORS)
          .map((e: unknown) => this.#copy(e, depth + 1, seen))
          .filter((e): e is SafeCause => e !== undefined);
        fields['errors'] = Object.freeze(copies);
      }
    }
    for (const [key, v] of Object.entries(fields)) {
      Object.defineProperty(copy, key, { value: v, enumerable: key !== 'stack', writable: false });
    }
    return Object.freeze(copy);
  }
}
