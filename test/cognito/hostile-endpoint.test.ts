/**
 * `authchart/cognito` (and `authchart/cognito-sdk` where it applies) against a hostile or
 * impersonated endpoint: real HTTP servers on 127.0.0.1, through `createAuth` where a sign-in shows it.
 */
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { type CognitoServicesOptions, cognitoServices } from '../../src/adapters/cognito/index.js';
import { cognitoServices as sdkServices } from '../../src/adapters/cognito-sdk.js';
import { type AuthError, createAuth, isAuthError, memoryStorage } from '../../src/index.js';
import { endlessAnswer, hostileServers, redirectTo } from '../helpers/hostile-server.js';

const PASSWORD = 'Correct-Horse-42!';
const CREDS = { username: 'alice', password: PASSWORD };
const MiB = 1024 * 1024;

const server = hostileServers();

/** A sign-in through `createAuth` against `endpoint`; answers the error it failed with. */
async function signInError(endpoint: string, extra: Partial<CognitoServicesOptions> = {}): Promise<AuthError> {
  const services = cognitoServices({
    clientId: 'client-1',
    region: 'eu-west-1',
    endpoint,
    authFlow: 'USER_PASSWORD_AUTH',
    maxAttempts: 1,
    ...extra,
  });
  const auth = createAuth({ services, storage: memoryStorage(), sync: null, timeouts: { remoteStepMs: 3_000 } });
  try {
    await auth.ready;
    const error = await auth.signIn(CREDS).then(
      () => new Error('expected the sign-in to fail'),
      (e: unknown) => e,
    );
    if (!isAuthError(error)) throw error;
    return error;
  } finally {
    auth.stop();
  }
}

const shown = (error: unknown) => inspect(error, { depth: 10, showHidden: true });

describe('redirects are never followed', () => {
  it('a 307 from Cognito: Service naming 307, the password re-sent nowhere and in no error output', async () => {
    const elsewhere = await server();
    const cognito = await server(redirectTo(`${elsewhere.url}/steal`));
    const error = await signInError(cognito.url);
    expect(error.code).toBe('Service');
    expect(error.message).toMatch(/HTTP 307/);
    expect(cognito.received).toHaveLength(1);
    expect(elsewhere.received).toEqual([]);
    expect(shown(error)).not.toContain(PASSWORD);

    // The AWS SDK transport in Node: node:http never follows a redirect, and the 3xx is mapped the same way.
    cognito.script = redirectTo(`${elsewhere.url}/steal`, 308);
    const services = sdkServices({
      clientId: 'client-1',
      region: 'eu-west-1',
      endpoint: cognito.url,
      authFlow: 'USER_PASSWORD_AUTH',
      maxAttempts: 1,
    });
    const sdkError = await services.signIn(CREDS, AbortSignal.timeout(3_000)).catch((e: unknown) => e as AuthError);
    expect(sdkError).toMatchObject({ code: 'Service', message: expect.stringMatching(/HTTP 308/) });
    expect(elsewhere.received).toEqual([]);
    expect(shown(sdkError)).not.toContain(PASSWORD);
  });
});

describe('answers are bounded', () => {
  it('a 64 MiB streamed answer is refused, and the stream is cancelled early', async () => {
    const endless = endlessAnswer(64 * MiB);
    const cognito = await server(endless.script);
    const error = await signInError(cognito.url);
    expect(error.code).toBe('Service');
    expect(error.message).toContain(`larger than ${MiB} bytes`);
    const stream = await endless.done;
    expect(stream.complete).toBe(false);
    // 1 MiB read, plus what the socket buffers held when the client hung up.
    expect(stream.written).toBeLessThan(16 * MiB);
  });

  it('a Content-Length over the cap is refused from the headers, without waiting for the body', async () => {
    const cognito = await server((_, res) => {
      // Declares 2 MiB and sends almost nothing: only the header can tell, and the answer never ends.
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(2 * MiB) });
      res.write('{');
    });
    const error = await signInError(cognito.url);
    expect(error).toMatchObject({ code: 'Service', message: expect.stringContaining(`larger than ${MiB} bytes`) });
    // maxResponseBytes moves the cap.
    const small = await signInError(cognito.url, { maxResponseBytes: 1024 });
    expect(small.message).toContain('larger than 1024 bytes');
    expect(() => cognitoServices({ clientId: 'c', region: 'r', maxResponseBytes: 0 })).toThrow(
      expect.objectContaining({ code: 'InvalidConfig', message: expect.stringContaining('maxResponseBytes') }),
    );
  });

  it('a 1 MiB error message and a 100 KB exception name become a bounded message and serviceName', async () => {
    const cognito = await server((_, res) => {
      res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(JSON.stringify({ __type: `<b>${'Evil'.repeat(25_000)}Exception`, message: 'x'.repeat(MiB) }));
    });
    // The cap raised so that the body is read: the message itself is what is bounded here.
    const error = await signInError(cognito.url, { maxResponseBytes: 4 * MiB });
    expect(error.code).toBe('Service');
    expect(error.message.length).toBeLessThan(400);
    expect(error.serviceName?.length).toBeLessThanOrEqual(64);
    expect(error.serviceName).toMatch(/^[\w.:-]+$/);
  });

  it('a message echoing the password or a control sequence: blanked and one line', async () => {
    const cognito = await server((req, res) => {
      const sent = JSON.parse(req.body) as { AuthParameters: { PASSWORD: string } };
      res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(
        JSON.stringify({
          __type: 'NotAuthorizedException',
          message: `Incorrect password ${sent.AuthParameters.PASSWORD}\n\u001b[31mforged log line`,
        }),
      );
    });
    const error = await signInError(cognito.url);
    expect(error.code).toBe('NotAuthorized');
    expect(error.message).toContain('Incorrect password [redacted]');
    expect(error.message).not.toMatch(/\p{Cc}/u);
    expect(shown(error)).not.toContain(PASSWORD);
  });

  it('an encoded password across the message bound is dropped whole, never cut to a prefix the scrubber cannot see', async () => {
    const forms = [
      Buffer.from(PASSWORD).toString('base64'),
      Buffer.from(PASSWORD).toString('hex'),
      encodeURIComponent(PASSWORD),
    ];
    for (const form of forms) {
      // Placed so that the 200-character bound falls inside it.
      const cognito = await server((_req, res) => {
        res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify({ __type: 'UserNotFoundException', message: `${'x'.repeat(190)} ${form}` }));
      });
      const error = await signInError(cognito.url);
      expect(shown(error)).not.toContain(form.slice(0, 6));
    }
  });
});

describe('endpoints must be https (or loopback)', () => {
  const base = { clientId: 'c', region: 'eu-west-1', authFlow: 'USER_PASSWORD_AUTH' as const };

  it('http://example.com is InvalidConfig naming allowInsecureHttp, on both transports; accepted with it; loopback needs nothing', async () => {
    for (const make of [cognitoServices, sdkServices]) {
      expect(() => make({ ...base, endpoint: 'http://example.com/' })).toThrow(
        expect.objectContaining({ code: 'InvalidConfig', message: expect.stringContaining('allowInsecureHttp') }),
      );
      expect(() => make({ ...base, endpoint: 'ftp://example.com/' })).toThrow(
        expect.objectContaining({ code: 'InvalidConfig' }),
      );
      expect(() => make({ ...base, endpoint: 'http://example.com/', allowInsecureHttp: true })).not.toThrow();
      for (const loopback of [
        'http://127.0.0.1:9229',
        'http://127.8.9.10/',
        'http://[::1]:9229/',
        'http://localhost/',
      ]) {
        expect(() => make({ ...base, endpoint: loopback })).not.toThrow();
      }
      expect(() => make({ ...base, endpoint: 'http://127.0.0.1.example.com/' })).toThrow(
        expect.objectContaining({ code: 'InvalidConfig' }),
      );
    }
    // The embedded emulator's kind of endpoint is used as is.
    const cognito = await server((_, res) => {
      res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(JSON.stringify({ __type: 'UserNotFoundException', message: 'User does not exist.' }));
    });
    expect((await signInError(cognito.url)).code).toBe('UserNotFound');
  });
});

describe('the issuer', () => {
  it('is named by userPoolId and region, never by the endpoint; an explicit issuer wins; on both transports', () => {
    for (const make of [cognitoServices, sdkServices]) {
      const pool = { clientId: 'c', region: 'eu-west-1', userPoolId: 'eu-west-1_AbC123' };
      const expected = 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123';
      expect(make(pool).issuer).toBe(expected);
      expect(make({ ...pool, endpoint: 'https://cognito-idp-fips.eu-west-1.amazonaws.com/' }).issuer).toBe(expected);
      expect(make({ ...pool, issuer: 'http://localhost:9229/local_X' }).issuer).toBe('http://localhost:9229/local_X');
      expect(make({ clientId: 'c', region: 'eu-west-1', authFlow: 'USER_PASSWORD_AUTH' }).issuer).toBeUndefined();
      for (const userPoolId of ['us-east-1_AbC123', 'AbC123', 'eu-west-1_', 'eu-west-1_a/b']) {
        expect(() => make({ ...pool, userPoolId })).toThrow(
          expect.objectContaining({ code: 'InvalidConfig', message: expect.stringContaining('userPoolId') }),
        );
      }
    }
  });
});
