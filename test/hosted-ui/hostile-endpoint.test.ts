/**
 * `authchart/hosted-ui` against a hostile or impersonated hosted UI: a real HTTP server on 127.0.0.1
 * as the token and revoke endpoints, and forged redirect URLs, through `createAuth` where it can.
 */
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { type HostedUIOptions, hostedUI, hostedUIServices } from '../../src/adapters/hosted-ui.js';
import {
  type AuthError,
  createAuth,
  isAuthError,
  memoryStorage,
  type RedirectTransaction,
  type TokenStorage,
} from '../../src/index.js';
import { endlessAnswer, hostileServers, redirectTo } from '../helpers/hostile-server.js';
import { LOGOUT_URI, REDIRECT_URI } from './fake-hosted-ui.js';

const CLIENT_ID = 'client-h';
const TX_KEY = `authchart.${CLIENT_ID}.redirectTransaction`;
const MiB = 1024 * 1024;

const server = hostileServers();

const shown = (error: unknown) => inspect(error, { depth: 10, showHidden: true });

async function failure(work: Promise<unknown>): Promise<AuthError> {
  const error = await work.then(
    () => new Error('expected a failure'),
    (e: unknown) => e,
  );
  if (!isAuthError(error)) throw error;
  return error;
}

/**
 * `createAuth` with both hosted-UI adapters on `domain`. The opener plays the hosted UI: it answers
 * the callback URL `callback(state)` makes, and keeps the transaction the chart stored before opening.
 */
function authOn(domain: string, callback: (state: string) => string, extra: Partial<HostedUIOptions> = {}) {
  const storage: TokenStorage & ReturnType<typeof memoryStorage> = memoryStorage();
  const seen: { transaction?: RedirectTransaction } = {};
  const options = { domain, clientId: CLIENT_ID, redirectUri: REDIRECT_URI, logoutUri: LOGOUT_URI, ...extra };
  const ui = hostedUI({
    ...options,
    openUrl: async (url) => {
      seen.transaction = JSON.parse(String(storage.getItem(TX_KEY))) as RedirectTransaction;
      return callback(new URL(url).searchParams.get('state') ?? '');
    },
  });
  const auth = createAuth({
    services: hostedUIServices(options),
    hostedUI: ui,
    storage,
    sync: null,
    timeouts: { remoteStepMs: 3_000 },
  });
  return { auth, storage, seen };
}

const back = (query: string) => `${REDIRECT_URI}?${query}`;

describe('redirects are never followed', () => {
  it('a 307 from /oauth2/token: Service naming 307, the code and verifier re-posted nowhere, in no error output', async () => {
    const elsewhere = await server();
    const hosted = await server(redirectTo(`${elsewhere.url}/steal`));
    const { auth, seen } = authOn(hosted.url, (state) => back(`code=the-code-0123456789&state=${state}`));
    await auth.ready;
    const error = await failure(auth.signInWithRedirect());
    auth.stop();
    expect(error.code).toBe('Service');
    expect(error.message).toMatch(/HTTP 307/);
    expect(hosted.received.map((r) => r.path)).toEqual(['/oauth2/token']);
    expect(elsewhere.received).toEqual([]);
    expect(shown(error)).not.toContain('the-code-0123456789');
    expect(shown(error)).not.toContain(seen.transaction?.codeVerifier);
  });

  it('a 307 from /oauth2/revoke: the refresh token re-posted nowhere', async () => {
    const elsewhere = await server();
    const hosted = await server(redirectTo(`${elsewhere.url}/steal`, 308));
    const refreshToken = 'refresh-token-secret-0123456789';
    const error = await failure(
      hostedUIServices({ domain: hosted.url, clientId: CLIENT_ID }).revokeToken(
        refreshToken,
        AbortSignal.timeout(3_000),
      ),
    );
    expect(error).toMatchObject({ code: 'Service', message: expect.stringMatching(/HTTP 308/) });
    expect(hosted.received).toHaveLength(1);
    expect(elsewhere.received).toEqual([]);
    expect(shown(error)).not.toContain(refreshToken);
  });
});

describe('answers are bounded', () => {
  it('a 64 MiB token-endpoint answer is refused, and the stream is cancelled early', async () => {
    const endless = endlessAnswer(64 * MiB);
    const hosted = await server(endless.script);
    const { auth } = authOn(hosted.url, (state) => back(`code=c0123456789&state=${state}`));
    await auth.ready;
    const error = await failure(auth.signInWithRedirect());
    auth.stop();
    expect(error).toMatchObject({ code: 'Service', message: expect.stringContaining(`larger than ${MiB} bytes`) });
    const stream = await endless.done;
    expect(stream.complete).toBe(false);
    expect(stream.written).toBeLessThan(16 * MiB);
  });

  it('a Content-Length over maxResponseBytes is refused from the headers', async () => {
    const hosted = await server((_, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(64 * 1024) });
      res.write('{');
    });
    const services = hostedUIServices({ domain: hosted.url, clientId: CLIENT_ID, maxResponseBytes: 4096 });
    const error = await failure(services.refresh('r0123456789', AbortSignal.timeout(3_000)));
    expect(error).toMatchObject({ code: 'Service', message: expect.stringContaining('larger than 4096 bytes') });
  });

  it('an error_description echoing the code and verifier, in HTML: blanked, bounded, kept as text', async () => {
    const hosted = await server((req, res) => {
      const form = new URLSearchParams(req.body);
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          error: 'invalid_request',
          error_description: `<img src=x onerror=alert(1)> ${form.get('code')} ${form.get('code_verifier')} ${'y'.repeat(MiB / 2)}`,
        }),
      );
    });
    const { auth, seen } = authOn(hosted.url, (state) => back(`code=the-code-0123456789&state=${state}`));
    await auth.ready;
    const error = await failure(auth.signInWithRedirect());
    auth.stop();
    expect(error.code).toBe('Service');
    expect(error.message).toContain('<img src=x onerror=alert(1)> [redacted] [redacted]');
    expect(error.message.length).toBeLessThan(400);
    expect(shown(error)).not.toContain('the-code-0123456789');
    expect(shown(error)).not.toContain(seen.transaction?.codeVerifier);
  });

  it('a 100 KB error= parameter in the redirect: a bounded serviceName and message', async () => {
    const hosted = await server();
    const huge = `<script>${'a'.repeat(100_000)}`;
    const { auth } = authOn(hosted.url, (state) =>
      back(`error=${encodeURIComponent(huge)}&error_description=${encodeURIComponent(huge)}&state=${state}`),
    );
    await auth.ready;
    const error = await failure(auth.signInWithRedirect());
    auth.stop();
    expect(error.code).toBe('HostedUIError');
    expect(error.serviceName?.length).toBeLessThanOrEqual(64);
    expect(error.serviceName).toMatch(/^[\w.:-]+$/);
    expect(error.message.length).toBeLessThan(400);
    expect(hosted.received).toEqual([]);
  });
});

describe('the redirect is checked before any request', () => {
  for (const [label, query] of [
    ['state', (s: string) => `code=c0123456789&state=${s}&state=${s}`],
    ['code', (s: string) => `code=c0123456789&code=other&state=${s}`],
    ['error', (s: string) => `error=access_denied&error=server_error&state=${s}`],
  ] as const) {
    it(`a repeated ${label} parameter is InvalidInput, and the token endpoint is never called`, async () => {
      const hosted = await server();
      const { auth } = authOn(hosted.url, (state) => back(query(state)));
      await auth.ready;
      const error = await failure(auth.signInWithRedirect());
      auth.stop();
      expect(error).toMatchObject({ code: 'InvalidInput', message: expect.stringContaining(`repeats ${label}`) });
      expect(hosted.received).toEqual([]);
    });
  }

  it('a transaction created in 1970, or in the future, is Expired; transactionMaxAgeMs moves the limit', async () => {
    const hosted = await server();
    const transaction = (createdAt: number): RedirectTransaction => ({
      state: 'state-0123456789',
      codeVerifier: 'v'.repeat(43),
      nonce: 'n0123456789',
      redirectUri: REDIRECT_URI,
      createdAt,
    });
    const url = back('code=c0123456789&state=state-0123456789');
    const elevenMinutes = Date.now() - 11 * 60_000;
    for (const createdAt of [0, Date.now() + 3_600_000, elevenMinutes]) {
      const { auth, storage } = authOn(hosted.url, () => '');
      storage.setItem(TX_KEY, JSON.stringify(transaction(createdAt)));
      const error = await failure(auth.handleRedirect(url));
      auth.stop();
      expect(error).toMatchObject({ code: 'Expired', message: expect.stringContaining('start it again') });
    }
    expect(hosted.received).toEqual([]);
    // Allowed 30 minutes, the eleven-minute-old transaction goes on to the token endpoint.
    const ui = hostedUI({
      domain: hosted.url,
      clientId: CLIENT_ID,
      redirectUri: REDIRECT_URI,
      logoutUri: LOGOUT_URI,
      transactionMaxAgeMs: 30 * 60_000,
    });
    await failure(ui.exchangeCode(url, transaction(elevenMinutes), AbortSignal.timeout(3_000)));
    expect(hosted.received.map((r) => r.path)).toEqual(['/oauth2/token']);
  });
});

describe('the domain must be https (or loopback)', () => {
  const base = { clientId: 'c', redirectUri: REDIRECT_URI, logoutUri: LOGOUT_URI, openUrl: () => undefined };

  it('http://example.com is InvalidConfig naming allowInsecureHttp for hostedUI and hostedUIServices; accepted with it', () => {
    for (const make of [hostedUI, hostedUIServices]) {
      expect(() => make({ ...base, domain: 'http://example.com' })).toThrow(
        expect.objectContaining({ code: 'InvalidConfig', message: expect.stringContaining('allowInsecureHttp') }),
      );
      expect(() => make({ ...base, domain: 'http://example.com', allowInsecureHttp: true })).not.toThrow();
      for (const domain of [
        'auth.example.com',
        'http://127.0.0.1:4000',
        'http://[::1]:4000',
        'http://localhost:4000',
      ]) {
        expect(() => make({ ...base, domain })).not.toThrow();
      }
    }
  });
});

describe('the issuer', () => {
  it('hostedUI and hostedUIServices name it from userPoolId (and region); an explicit issuer wins', () => {
    const base = { domain: 'auth.example.com', clientId: 'c', redirectUri: REDIRECT_URI, logoutUri: LOGOUT_URI };
    for (const make of [hostedUI, hostedUIServices]) {
      const expected = 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123';
      expect(make({ ...base, userPoolId: 'eu-west-1_AbC123' }).issuer).toBe(expected);
      expect(make({ ...base, userPoolId: 'eu-west-1_AbC123', region: 'eu-west-1' }).issuer).toBe(expected);
      expect(make({ ...base, issuer: 'https://issuer.test/pool' }).issuer).toBe('https://issuer.test/pool');
      expect(make(base).issuer).toBeUndefined();
      expect(() => make({ ...base, userPoolId: 'eu-west-1_AbC123', region: 'us-east-1' })).toThrow(
        expect.objectContaining({ code: 'InvalidConfig', message: expect.stringContaining('userPoolId') }),
      );
    }
  });
});
