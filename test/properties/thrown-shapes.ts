/**
 * Random thrown shapes for the redaction property: each quotes a secret of the step's pool, in one
 * of the forms the scrubber must find, in messages, fields, getters, causes and traps.
 */
import fc from 'fast-check';
import { AuthError, type AuthErrorCode } from '../../src/index.js';

const CODES: AuthErrorCode[] = ['Network', 'Timeout', 'NotAuthorized', 'Service', 'Throttled', 'RevocationUnsupported'];

const b64 = (text: string) => Buffer.from(text).toString('base64');
const html = (named: boolean) => (text: string) =>
  text.replace(/[&<>"' ]/g, (c) => (named && c === '&' ? '&amp;' : `&#x${c.charCodeAt(0).toString(16)};`));
const split = (text: string, by: string, every: number) => text.replace(new RegExp(`(.{${every}})`, 'g'), `$1${by}`);

/** Every form a secret is quoted in; the scrubber must find each (see docs/security.md, "What the scrubber covers"). */
export const ENCODINGS: ((secret: string) => string)[] = [
  (x) => x,
  (x) => JSON.stringify(x).slice(1, -1),
  (x) => JSON.stringify(JSON.stringify(x)).slice(1, -1),
  // Per UTF-16 unit, as JSON and JS escape (a character outside the BMP is two escapes).
  (x) =>
    x
      .split('')
      .map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
      .join(''),
  encodeURIComponent,
  (x) =>
    encodeURIComponent(x)
      .replaceAll('.', '%2E')
      .replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase()),
  (x) => new URLSearchParams({ v: x }).toString().slice(2),
  html(true),
  html(false),
  b64,
  (x) => Buffer.from(x).toString('base64url'),
  (x) => b64(`x${x}`),
  (x) => Buffer.from(`xy${x}`).toString('base64url'),
  (x) => `Basic ${b64(`alice@example.com:${x}`)}`,
  (x) => split(b64(x), '\n', 76),
  (x) => split(x, '\n', 64),
  (x) => split(x, '\r\n', 5),
  (x) => split(x, ' ', 7),
  (x) => Buffer.from(x).toString('hex'),
];
export const allForms = (secret: string) => [
  secret,
  JSON.stringify(secret).slice(1, -1),
  encodeURIComponent(secret),
  ...ENCODINGS.map((e) => e(secret)),
];

type Field = 'code' | 'name' | 'message' | 'cause' | 'errors';

/** A thrown shape; `s` picks the quoted secret from the step's pool, and the form it is quoted in. */
export type Spec =
  | { kind: 'string'; s: number }
  | { kind: 'primitive'; value: null | undefined | number }
  | { kind: 'error'; s: number; field: number | null; cause: Spec | null }
  | { kind: 'object'; s: number; status: number | null; nameQuotes: boolean; cause: Spec | null }
  | { kind: 'aggregate'; s: number; errors: Spec[] }
  | { kind: 'getters'; s: number; throws: boolean }
  | { kind: 'cycle'; s: number }
  | { kind: 'authError'; code: AuthErrorCode; s: number; cause: Spec | null }
  | { kind: 'proxy'; s: number }
  /** A field whose getter throws (quoting a secret), or answers a secret only when read again. */
  | { kind: 'hostile'; s: number; field: Field; secondRead: boolean; authError: boolean }
  /** A Proxy whose every trap throws. */
  | { kind: 'traps'; s: number }
  /** A `code` that is a secret. */
  | { kind: 'secretCode'; s: number; authError: boolean };

const s = fc.nat(1000);
export const { spec } = fc.letrec<{ spec: Spec }>((tie) => {
  const cause = fc.option(tie('spec'), { nil: null, depthSize: 'small' });
  return {
    spec: fc.oneof(
      { depthSize: 'small' },
      fc.record({ kind: fc.constant('string' as const), s }),
      fc.record({ kind: fc.constant('primitive' as const), value: fc.constantFrom(null, undefined, 42) }),
      fc.record({ kind: fc.constant('error' as const), s, field: fc.option(s, { nil: null }), cause }),
      fc.record({
        kind: fc.constant('object' as const),
        s,
        status: fc.option(fc.constantFrom(400, 500, 503), { nil: null }),
        nameQuotes: fc.boolean(),
        cause,
      }),
      fc.record({
        kind: fc.constant('aggregate' as const),
        s,
        errors: fc.array(tie('spec'), { maxLength: 3 }),
      }),
      fc.record({ kind: fc.constant('getters' as const), s, throws: fc.boolean() }),
      fc.record({ kind: fc.constant('cycle' as const), s }),
      fc.record({ kind: fc.constant('authError' as const), code: fc.constantFrom(...CODES), s, cause }),
      fc.record({ kind: fc.constant('proxy' as const), s }),
      fc.record({
        kind: fc.constant('hostile' as const),
        s,
        field: fc.constantFrom<Field>('code', 'name', 'message', 'cause', 'errors'),
        secondRead: fc.boolean(),
        authError: fc.boolean(),
      }),
      fc.record({ kind: fc.constant('traps' as const), s }),
      fc.record({ kind: fc.constant('secretCode' as const), s, authError: fc.boolean() }),
    ) as fc.Arbitrary<Spec>,
  };
});

/** The `i`th quote of the pool: one of its secrets, in one of the {@link ENCODINGS}. */
const quote = (i: number, pool: readonly string[]) =>
  (ENCODINGS[Math.floor(i / 7) % ENCODINGS.length] as (x: string) => string)(pool[i % pool.length] ?? 'nothing');

export function build(x: Spec, pool: readonly string[]): unknown {
  const q = (i: number) => quote(i, pool);
  const inner = (c: Spec | null) => (c === null ? undefined : build(c, pool));
  switch (x.kind) {
    case 'string':
      return `upstream said ${q(x.s)}`;
    case 'primitive':
      return x.value;
    case 'error': {
      const e = new Error(`failed with ${q(x.s)}`, { cause: inner(x.cause) });
      return Object.assign(e, {
        requestBody: q(x.field ?? x.s),
        $response: { body: `{"token":"${q(x.s)}"}` },
      });
    }
    case 'object':
      return {
        name: x.nameQuotes ? `Exception${q(x.s)}` : 'InternalErrorException',
        message: `bad ${q(x.s)}`,
        code: `E_${q(x.s + 1)}`,
        token: q(x.s + 2),
        ...(x.status === null ? {} : { $metadata: { httpStatusCode: x.status, requestId: q(x.s) } }),
        cause: inner(x.cause),
      };
    case 'aggregate':
      return new AggregateError(
        x.errors.map((e) => build(e, pool)),
        `many ${q(x.s)}`,
      );
    case 'getters': {
      const o = {};
      for (const key of ['name', 'message', 'code', 'cause', 'status', 'errors', 'stack']) {
        Object.defineProperty(o, key, {
          enumerable: true,
          get: () => {
            if (x.throws) throw new Error(`getter ${q(x.s)}`);
            return key === 'status' ? 500 : `${key} ${q(x.s)}`;
          },
        });
      }
      return o;
    }
    case 'cycle': {
      const e = new Error(`cycle ${q(x.s)}`) as Error & { self?: unknown };
      e.cause = e;
      e.self = e;
      return new AggregateError([e, e], `loop ${q(x.s + 1)}`, { cause: e });
    }
    case 'authError':
      return new AuthError(x.code, `refused ${q(x.s)}`, { cause: inner(x.cause), serviceName: `Svc${q(x.s)}` });
    case 'proxy':
      return new Proxy(new Error(q(x.s)), {
        get: (target, key) => (key === 'message' ? `proxied ${q(x.s)}` : Reflect.get(target, key)),
        getPrototypeOf: () => {
          throw new Error(`trap ${q(x.s)}`);
        },
      });
    case 'hostile': {
      const e = x.authError ? new AuthError('Service', `refused ${q(x.s + 1)}`) : new Error(`refused ${q(x.s + 1)}`);
      let reads = 0;
      Object.defineProperty(e, x.field, {
        get: () => {
          if (!x.secondRead) throw new Error(`getter ${q(x.s)}`);
          return ++reads === 1 ? (x.field === 'errors' ? [] : 'Innocent') : q(x.s);
        },
      });
      return e;
    }
    case 'traps': {
      const trap = () => {
        throw new Error(`trap ${q(x.s)}`);
      };
      return new Proxy(new Error(q(x.s)), {
        get: trap,
        has: trap,
        ownKeys: trap,
        getOwnPropertyDescriptor: trap,
        getPrototypeOf: trap,
      });
    }
    case 'secretCode':
      return x.authError
        ? new AuthError(q(x.s) as AuthErrorCode, 'refused')
        : Object.assign(new Error('refused'), { code: q(x.s) });
  }
}

/** The fields of a Cognito answer the account calls read. */
const ANSWER_FIELDS = [
  'UserSub',
  'UserConfirmed',
  'CodeDeliveryDetails',
  'CodeDeliveryDetailsList',
  'UserAttributes',
  'SecretCode',
  'Status',
  'UserMFASettingList',
  'PreferredMfaSetting',
] as const;

/**
 * What a transport answers instead of throwing: a well-formed answer (`fine`, the caller's), plain
 * data quoting a secret in every field a call reads, a thrown shape as the answer itself, a field
 * whose getter throws a shape, or nested values (delivery details, list items) that throw when read.
 */
export type AnswerSpec =
  | { kind: 'fine' }
  | { kind: 'echo'; s: number }
  | { kind: 'shape'; spec: Spec }
  | { kind: 'getter'; field: number; spec: Spec }
  | { kind: 'nested'; spec: Spec };

export const answerSpec: fc.Arbitrary<AnswerSpec> = fc.oneof(
  fc.record({ kind: fc.constant('fine' as const) }),
  fc.record({ kind: fc.constant('echo' as const), s }),
  fc.record({ kind: fc.constant('shape' as const), spec }),
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('getter' as const), field: fc.nat(ANSWER_FIELDS.length - 1), spec }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('nested' as const), spec }) },
);

/** An object every read of which throws the shape `x` (a Proxy over `target`). */
const throwing = (x: Spec, pool: readonly string[], target: object = {}) =>
  new Proxy(target, {
    get: () => {
      throw build(x, pool);
    },
  });

export function buildAnswer(a: AnswerSpec, pool: readonly string[], fine: Record<string, unknown>): unknown {
  switch (a.kind) {
    case 'fine':
      return fine;
    case 'echo': {
      const q = (i: number) => quote(a.s + i, pool);
      return {
        ...Object.fromEntries(ANSWER_FIELDS.map((f, i) => [f, q(i)])),
        CodeDeliveryDetails: { DeliveryMedium: q(1), Destination: q(2), AttributeName: q(3) },
        CodeDeliveryDetailsList: [{ Destination: q(4), AttributeName: q(5) }],
        UserAttributes: [{ Name: q(6), Value: q(7) }],
        UserMFASettingList: [q(8)],
      };
    }
    case 'shape':
      return build(a.spec, pool);
    case 'getter': {
      const answer = { ...fine };
      Object.defineProperty(answer, ANSWER_FIELDS[a.field] as string, {
        enumerable: true,
        get: () => {
          throw build(a.spec, pool);
        },
      });
      return answer;
    }
    case 'nested':
      return {
        ...fine,
        CodeDeliveryDetails: throwing(a.spec, pool),
        CodeDeliveryDetailsList: [throwing(a.spec, pool)],
        UserAttributes: throwing(a.spec, pool, []),
        UserMFASettingList: [throwing(a.spec, pool)],
      };
  }
}

/** A Cognito JSON error body quoting a secret in its `__type` or `message` (what the fetch transport reads). */
export type BodySpec = { status: number; s: number; typeQuotes: boolean };

export const bodySpec: fc.Arbitrary<BodySpec> = fc.record({
  status: fc.constantFrom(400, 403, 429, 500, 503),
  s,
  typeQuotes: fc.boolean(),
});

export function buildBody(b: BodySpec, pool: readonly string[]): { status: number; body: Record<string, unknown> } {
  const q = (i: number) => quote(b.s + i, pool);
  return {
    status: b.status,
    body: {
      __type: b.typeQuotes ? `com.amazonaws#${q(0)}` : 'CodeMismatchException',
      message: `Invalid code ${q(1)} provided for ${q(2)}`,
      Message: q(3),
    },
  };
}
