import { inspect } from 'node:util';
import { describe, expect, it, vi } from 'vitest';
import { AuthError, createAuth, isAuthError } from '../src/index.js';
import { SafeCause, SecretRegistry } from '../src/session/redact.js';
import { fakeServices, faultyStorage, ownKeys } from './helpers/fakes.js';
import { signedInHarness } from './helpers/harness.js';
import { makeTokens } from './helpers/tokens.js';

const CREDS = { username: 'alice@example.com', password: 'correct horse' };
const P = 'authchart.client123.';

/** Everything a log line could show of a value. */
function shown(value: unknown): string {
  return `${inspect(value, { depth: Infinity, showHidden: true })}\n${JSON.stringify(value)}\n${String(value)}`;
}

describe('SecretRegistry', () => {
  it('scrubs remembered values of any shape, longest first, then anything JWT-shaped', () => {
    const secrets = new SecretRegistry();
    secrets.remember(['opaque-refresh-0123456789', 'opaque-refresh-0123456789-longer']);
    const release = secrets.hold('p@ss "word"');
    const jwt = makeTokens().accessToken;
    const out = secrets.scrub(
      `a opaque-refresh-0123456789-longer b opaque-refresh-0123456789 c {"pw":"p@ss \\"word\\""} d ${encodeURIComponent('p@ss "word"')} e ${jwt}`,
    );
    expect(out).toBe('a [redacted token] b [redacted token] c {"pw":"[redacted]"} d [redacted] e [redacted token]');
    release();
    expect(secrets.scrub('p@ss "word"')).toBe('p@ss "word"');
    // Short values are not secrets worth mangling messages for.
    secrets.remember(['abc']);
    expect(secrets.scrub('abc')).toBe('abc');
  });

  it('forgets the oldest token groups beyond its bound', () => {
    const secrets = new SecretRegistry();
    for (let i = 0; i < 17; i++) secrets.remember([`token-number-${String(i).padStart(2, '0')}`]);
    expect(secrets.scrub('token-number-00')).toBe('token-number-00');
    expect(secrets.scrub('token-number-01')).toBe('[redacted token]');
  });

  it('safeError keeps code, names and status, replaces the cause chain by scrubbed frozen copies', () => {
    const secrets = new SecretRegistry();
    const secret = 'opaque-secret-value-42';
    secrets.remember([secret]);
    const root = Object.assign(new Error(`root ${secret}`), {
      code: 'E_ROOT',
      $metadata: { httpStatusCode: 400, requestId: secret },
      body: secret,
    });
    const agg = new AggregateError([root, `plain ${secret}`], `many ${secret}`);
    const cyclic: Record<string, unknown> = { name: 'Cyclic', message: `cyc ${secret}`, status: 503 };
    cyclic['cause'] = cyclic;
    Object.defineProperty(cyclic, 'statusCode', {
      get() {
        throw new Error(secret);
      },
    });
    const thrown = new AuthError('Throttled', `slow ${secret}`, {
      serviceName: 'TooManyRequestsException',
      cause: new Error(`outer ${secret}`, { cause: [agg, cyclic] }),
    });
    thrown.cause = new Error(`outer ${secret}`, { cause: agg });
    (agg as { cause?: unknown }).cause = cyclic;
    const safe = secrets.safeError(thrown, 'RevokeToken');
    expect(safe.code).toBe('Throttled');
    expect(safe.serviceName).toBe('TooManyRequestsException');
    expect(safe.message).toBe('slow [redacted token]');
    const outer = safe.cause as SafeCause;
    expect(outer).toBeInstanceOf(SafeCause);
    expect(Object.isFrozen(outer)).toBe(true);
    const aggCopy = outer.cause as SafeCause;
    expect(aggCopy.name).toBe('AggregateError');
    expect(aggCopy.errors?.[0]).toMatchObject({ code: 'E_ROOT', $metadata: { httpStatusCode: 400 } });
    expect((aggCopy.cause as SafeCause).status).toBe(503);
    expect(shown(safe)).not.toContain(secret);
    expect(shown(structuredClone(safe))).not.toContain(secret);
  });

  it('safeError turns anything else into Service, even a value whose every read throws', () => {
    const secrets = new SecretRegistry();
    const hostile = new Proxy(
      {},
      {
        get: () => {
          throw new Error('no');
        },
        getPrototypeOf: () => {
          throw new Error('no');
        },
      },
    );
    const error = secrets.safeError(hostile, 'GlobalSignOut');
    expect(error.code).toBe('Service');
    expect(error.message).toMatch(/^GlobalSignOut failed: object: /);
    expect(secrets.safeError('just a string', 'RevokeToken').message).toBe('RevokeToken failed: string: just a string');
  });
});

describe('SecretRegistry.safeError cannot throw, nor hand back what it could not scrub', () => {
  it('when scrubbing itself fails, the answer is a fixed message with the fallback code and no cause', () => {
    const secrets = new SecretRegistry();
    const spy = vi.spyOn(secrets, 'scrub').mockImplementation(() => {
      throw new Error('scrubber broke on opaque-secret-value-42');
    });
    try {
      const error = secrets.safeError(new Error('opaque-secret-value-42'), 'RevokeToken', 'Network');
      expect(error).toMatchObject({ code: 'Network', message: 'RevokeToken failed' });
      expect(error.cause).toBeUndefined();
      expect(shown(error)).not.toContain('opaque-secret-value-42');
    } finally {
      spy.mockRestore();
    }
  });

  it('reads each field once: a getter that answers a secret the second time is not read twice', () => {
    const secrets = new SecretRegistry();
    const secret = 'opaque-secret-value-42';
    secrets.remember([secret]);
    const reads: Record<string, number> = {};
    const error = new Error('first');
    for (const key of ['message', 'name', 'code', 'cause']) {
      Object.defineProperty(error, key, {
        get() {
          reads[key] = (reads[key] ?? 0) + 1;
          return reads[key] === 1 ? key : `${key} ${secret.split('').join('\n')}`;
        },
      });
    }
    const safe = secrets.safeError(error, 'GlobalSignOut');
    expect(reads).toEqual({ message: 1, name: 1, code: 1, cause: 1 });
    expect(shown(safe)).not.toContain(secret.slice(0, 3));
  });

  it('keeps an AuthError code only if it is one authchart knows, and bounds every copied string', () => {
    const secrets = new SecretRegistry();
    const odd = new AuthError('NotAReal' as never, 'x'.repeat(5000), { serviceName: 'y'.repeat(500) });
    const safe = secrets.safeError(odd, 'Sign-in', 'Network');
    expect(safe.code).toBe('Network');
    expect(safe.message.length).toBeLessThanOrEqual(1001);
    expect(safe.serviceName?.length).toBeLessThanOrEqual(101);
  });
});

describe('garbage from a service is InvalidToken, naming what is wrong but never the value', () => {
  const secret = 'opaque-garbage-secret-77';
  const signInAnswers: [string, unknown, RegExp][] = [
    ['null', null, /answered null/],
    ['undefined', undefined, /answered undefined/],
    ['a string', secret, /answered string/],
    ['a number', 42, /answered number/],
    ['an empty object', {}, /accessToken is missing/],
    ['a non-string field', { ...makeTokens(), idToken: 7 }, /idToken is a number, not a string/],
    ['a non-JWT access token', { ...makeTokens(), accessToken: secret }, /access token is not a decodable JWT/],
    ['a missing refresh token', { ...makeTokens(), refreshToken: undefined }, /refreshToken is missing/],
    [
      'a throwing getter',
      Object.defineProperty({ ...makeTokens() }, 'accessToken', {
        get() {
          // A secret this instance holds (the password in flight): a value it never saw cannot be known.
          throw new Error(`bad ${CREDS.password}`);
        },
      }),
      /accessToken could not be read/,
    ],
  ];
  for (const [label, answer, message] of signInAnswers) {
    it(`sign-in answering ${label}`, async () => {
      const services = fakeServices();
      services.script.signIn = { ok: answer as never };
      const storage = faultyStorage();
      const auth = createAuth({ services, storage, sync: null });
      const error = await auth.signIn(CREDS).catch((e: unknown) => e);
      expect(isAuthError(error, 'InvalidToken')).toBe(true);
      expect((error as Error).message).toMatch(message);
      expect(shown(error)).not.toContain(secret);
      expect(shown(error)).not.toContain(CREDS.password);
      expect(auth.state).toBe('signedOut');
      expect(ownKeys(storage)).toEqual([]);
      auth.stop();
    });
  }

  it('a sign-in with a continuation session (USER_AUTH): an error echoing the session does not carry it', async () => {
    const session = 'AYABeContinuationSession-0123456789abcdef';
    const services = fakeServices();
    services.script.signIn = { error: new Error(`Invalid session ${session} for user`) };
    const auth = createAuth({ services, storage: faultyStorage(), sync: null });
    const error = await auth
      .signIn({ username: CREDS.username, session, authFlow: 'USER_AUTH' })
      .catch((e: unknown) => e);
    expect(isAuthError(error)).toBe(true);
    expect(shown(error)).not.toContain(session);
    auth.stop();
  });

  const refreshAnswers: [string, unknown, RegExp][] = [
    ['null', null, /answered null/],
    ['a string', secret, /answered string/],
    ['a non-string field', { accessToken: 12 }, /accessToken is a number/],
    ['a non-JWT ID token', { idToken: secret }, /ID token is not a decodable JWT/],
  ];
  for (const [label, answer, message] of refreshAnswers) {
    it(`refresh answering ${label}`, async () => {
      vi.useFakeTimers();
      try {
        const h = await signedInHarness({ token: { expiresIn: 600 }, auth: { sync: null } });
        const failures: AuthError[] = [];
        h.auth.on('tokenRefreshFailed', (p) => failures.push(p.error));
        h.services.script.refresh = { ok: answer as never };
        await vi.advanceTimersByTimeAsync(600_000);
        expect(failures.length).toBeGreaterThan(0);
        expect(failures[0]?.code).toBe('InvalidToken');
        expect(failures[0]?.message).toMatch(message);
        expect(shown(failures)).not.toContain(secret);
        h.auth.stop();
      } finally {
        vi.useRealTimers();
      }
    });
  }
});

describe('corrupt keys of ours found at restore are removed, other keys untouched', () => {
  async function restoreFrom(initial: Record<string, string>, deferRevocation = false) {
    const storage = faultyStorage({
      'app.theme': 'dark',
      'authchart.otherClient.revocationOutbox': 'junk',
      ...initial,
    });
    const auth = createAuth({ services: fakeServices(), storage, sync: null, deferRevocation });
    await auth.ready;
    await new Promise((r) => setTimeout(r, 10));
    const state = auth.state;
    auth.stop();
    return { state, dump: storage.dump() };
  }
  const unrelated = { 'app.theme': 'dark', 'authchart.otherClient.revocationOutbox': 'junk' };

  for (const [label, value] of [
    ['invalid JSON', 'not json'],
    ['JSON that is not an array', '{"a":1}'],
    ['an array with a non-string', '["opaque-refresh-1", 5]'],
  ]) {
    it(`a revocation outbox holding ${label} (deferRevocation off)`, async () => {
      const { state, dump } = await restoreFrom({ [`${P}revocationOutbox`]: value as string });
      expect(state).toBe('signedOut');
      expect(dump).toEqual(unrelated);
    });
  }

  // The outbox is now drained at start with deferRevocation off too: a valid one is not dropped as
  // corrupt, it is revoked (the fake RevokeToken succeeds) and then leaves storage.
  it('a valid outbox is drained, not dropped', async () => {
    const { dump } = await restoreFrom({ [`${P}revocationOutbox`]: '["opaque-refresh-1"]' });
    expect(dump).toEqual(unrelated);
  });

  it('a torn sign-out journal is finished and removed', async () => {
    const { state, dump } = await restoreFrom({ [`${P}signOutJournal`]: '{"scope":' });
    expect(state).toBe('signedOut');
    expect(dump).toEqual(unrelated);
  });

  it('token keys holding non-JWTs are removed with the rest of the session', async () => {
    const { state, dump } = await restoreFrom({
      [`${P}lastAuthUser`]: 'alice',
      [`${P}alice.accessToken`]: 'not-a-jwt',
      [`${P}alice.idToken`]: 'not-a-jwt',
      [`${P}alice.refreshToken`]: 'opaque',
      [`${P}alice.signedInWith`]: 'password',
    });
    expect(state).toBe('signedOut');
    expect(dump).toEqual(unrelated);
  });

  it('the old layout with an unknown signedInWith: the valid session is restored and migrated to one record', async () => {
    const t = makeTokens();
    const user = `${P}alice@example.com`;
    const session = {
      [`${P}lastAuthUser`]: 'alice@example.com',
      [`${user}.accessToken`]: t.accessToken,
      [`${user}.idToken`]: t.idToken,
      [`${user}.refreshToken`]: t.refreshToken,
    };
    const { state, dump } = await restoreFrom({ ...session, [`${user}.signedInWith`]: '{{{' });
    expect(state).toBe('signedIn.waitingToRefresh');
    const { [`${P}session`]: record, ...rest } = dump;
    expect(rest).toEqual(unrelated);
    expect(JSON.parse(String(record))).toMatchObject({ signedInWith: 'password', refreshToken: t.refreshToken });
  });
});

describe('SecretRegistry.keep (the outbox tokens)', () => {
  it('keeps the newest 256 read, a token read again counting as new, apart from the session groups', () => {
    const secrets = new SecretRegistry();
    secrets.remember(['session-refresh-token-0123456789']);
    secrets.keep('outbox-token-long-waiting');
    for (let i = 0; i < 300; i++) {
      secrets.keep(`outbox-token-${String(i).padStart(4, '0')}`);
      if (i % 100 === 0) secrets.keep('outbox-token-long-waiting');
    }
    expect(secrets.scrub('outbox-token-long-waiting')).toBe('[redacted]');
    expect(secrets.scrub('outbox-token-0000')).toBe('outbox-token-0000');
    expect(secrets.scrub('outbox-token-0299')).toBe('[redacted]');
    expect(secrets.scrub('session-refresh-token-0123456789')).toBe('[redacted token]');
  });
});
