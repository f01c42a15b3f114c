import { createServer as createHttpServer } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { cognitoServices } from '../../src/adapters/cognito-sdk.js';
import { type AuthServices, createAuth, isAuthError, manualConnectivity, memoryStorage } from '../../src/index.js';
import { freshPool } from './helpers.js';

const REGION = 'local';

function ownKeys(storage: ReturnType<typeof memoryStorage>, clientId: string) {
  return storage.keys().filter((k) => k.startsWith(`authchart.${clientId}.`));
}

describe('against the embedded Cognito (real HTTP)', () => {
  it('local sign-out with revocation "always" is complete, and the old refresh token is dead on the server', async () => {
    const pool = await freshPool();
    const services = cognitoServices({
      clientId: pool.clientId,
      region: REGION,
      authFlow: 'USER_PASSWORD_AUTH',
      endpoint: pool.endpoint,
    });
    const storage = memoryStorage([['app.other', 'keep me']]);
    const auth = createAuth({ services, storage, revocation: 'always' });
    await auth.signIn({ username: pool.username, password: pool.password });
    const tokens = auth.getTokens();
    if (!tokens) throw new Error('expected tokens after sign-in');
    // Before sign-out the refresh token works.
    await expect(services.refresh(tokens.refreshToken, new AbortController().signal)).resolves.toHaveProperty(
      'accessToken',
    );

    const result = await auth.signOut();
    expect(result).toMatchObject({ status: 'complete', steps: { revokeToken: 'done', clearCache: 'done' } });
    expect(ownKeys(storage, pool.clientId)).toEqual([]);
    expect(storage.getItem('app.other')).toBe('keep me');
    const after = await services.refresh(tokens.refreshToken, new AbortController().signal).catch((e: unknown) => e);
    expect(isAuthError(after, 'NotAuthorized')).toBe(true);
    auth.stop();
  });

  it('cognito-local tokens carry no origin_jti, so the default "auto" policy does not revoke', async () => {
    const pool = await freshPool();
    const services = cognitoServices({
      clientId: pool.clientId,
      region: REGION,
      authFlow: 'USER_PASSWORD_AUTH',
      endpoint: pool.endpoint,
    });
    const auth = createAuth({ services });
    await auth.signIn({ username: pool.username, password: pool.password });
    expect(auth.getSession()?.revocable).toBe(false);
    const tokens = auth.getTokens()!;
    const result = await auth.signOut();
    expect(result).toMatchObject({ status: 'complete', steps: { revokeToken: 'notRun' } });
    // Honest about what it did: the refresh token still works on the server.
    await expect(services.refresh(tokens.refreshToken, new AbortController().signal)).resolves.toHaveProperty(
      'accessToken',
    );
    auth.stop();
  });

  it('global sign-out: the server’s "Unsupported" answer is globalSignOutError, revocation still runs, partial', async () => {
    const pool = await freshPool();
    const services = cognitoServices({
      clientId: pool.clientId,
      region: REGION,
      authFlow: 'USER_PASSWORD_AUTH',
      endpoint: pool.endpoint,
    });
    const storage = memoryStorage();
    const auth = createAuth({ services, storage, revocation: 'always' });
    await auth.signIn({ username: pool.username, password: pool.password });
    const tokens = auth.getTokens()!;
    const result = await auth.signOut({ global: true });
    if (result.status !== 'partial') throw new Error(`expected partial, got ${JSON.stringify(result)}`);
    expect(result.globalSignOutError).toMatchObject({ code: 'Service', serviceName: 'Unsupported' });
    expect(result.steps).toMatchObject({ globalSignOut: 'failed', revokeToken: 'done', clearCache: 'done' });
    expect(storage.keys()).toEqual([]);
    const after = await services.refresh(tokens.refreshToken, new AbortController().signal).catch((e: unknown) => e);
    expect(isAuthError(after, 'NotAuthorized')).toBe(true);
    auth.stop();
  });

  /** Signed in on cognito-local with `deferRevocation`, then offline: what the two deferral tests start from. */
  async function offlineWithDeferral() {
    const pool = await freshPool();
    const services = cognitoServices({
      clientId: pool.clientId,
      region: REGION,
      authFlow: 'USER_PASSWORD_AUTH',
      endpoint: pool.endpoint,
    });
    const storage = memoryStorage();
    const connectivity = manualConnectivity(true);
    const auth = createAuth({ services, storage, connectivity, revocation: 'always', deferRevocation: true });
    await auth.signIn({ username: pool.username, password: pool.password });
    const tokens = auth.getTokens()!;
    connectivity.set(false);
    return { pool, services, storage, connectivity, auth, tokens };
  }

  it('deferred revocation: offline sign-out keeps the refresh token; back online the server rejects it', async () => {
    const { pool, services, storage, connectivity, auth, tokens } = await offlineWithDeferral();
    const result = await auth.signOut();
    expect(result).toMatchObject({ status: 'partial', deferred: true, revokeTokenError: { code: 'Offline' } });
    // One key per entry behind an index of slots.
    const outbox = `authchart.${pool.clientId}.outbox`;
    expect(storage.keys().sort()).toEqual([outbox, `${outbox}.0`]);
    // Not revoked yet: the server still honours it.
    await expect(services.refresh(tokens.refreshToken, new AbortController().signal)).resolves.toHaveProperty(
      'accessToken',
    );

    connectivity.set(true);
    await vi.waitFor(() => expect(storage.keys()).toEqual([]), { timeout: 5000 });
    const after = await services.refresh(tokens.refreshToken, new AbortController().signal).catch((e: unknown) => e);
    expect(isAuthError(after, 'NotAuthorized')).toBe(true);
    auth.stop();
  });

  it('deferred global sign-out: back online, refresh and GlobalSignOut are tried, then the token is revoked', async () => {
    const { services, storage, connectivity, auth, tokens } = await offlineWithDeferral();
    const result = await auth.signOut({ global: true });
    expect(result).toMatchObject({ deferred: true, steps: { globalSignOut: 'deferred', revokeToken: 'deferred' } });
    connectivity.set(true);
    // cognito-local answers GlobalSignOut with HTTP 500: like the sign-out itself, the drain then revokes.
    await vi.waitFor(() => expect(storage.keys()).toEqual([]), { timeout: 5000 });
    const after = await services.refresh(tokens.refreshToken, new AbortController().signal).catch((e: unknown) => e);
    expect(isAuthError(after, 'NotAuthorized')).toBe(true);
    auth.stop();
  });

  it('a wrong password is a typed error and leaves the user signed out', async () => {
    const pool = await freshPool();
    const auth = createAuth({
      services: cognitoServices({
        clientId: pool.clientId,
        region: REGION,
        authFlow: 'USER_PASSWORD_AUTH',
        endpoint: pool.endpoint,
      }),
    });
    const error = await auth.signIn({ username: pool.username, password: 'Wrong-Password-1' }).catch((e: unknown) => e);
    expect(isAuthError(error)).toBe(true);
    expect(String((error as Error).message)).not.toContain('Wrong-Password-1');
    expect(auth.state).toBe('signedOut');
    auth.stop();
  });

  it('restart: a second createAuth on the same storage restores the session; after sign-out it restores none', async () => {
    const pool = await freshPool();
    const storage = memoryStorage();
    const make = () =>
      createAuth({
        services: cognitoServices({
          clientId: pool.clientId,
          region: REGION,
          authFlow: 'USER_PASSWORD_AUTH',
          endpoint: pool.endpoint,
        }),
        storage,
        revocation: 'always',
      });
    const first = make();
    await first.signIn({ username: pool.username, password: pool.password });
    const username = first.getSession()?.username;
    first.stop();

    const second = make();
    await second.ready;
    expect(second.state).toBe('signedIn.waitingToRefresh');
    expect(second.getSession()?.username).toBe(username);
    expect((await second.signOut()).status).toBe('complete');
    second.stop();

    const third = make();
    await third.ready;
    expect(third.state).toBe('signedOut');
    third.stop();
  });

  it('refresh: a short-lived access token is refreshed by itself against the server', async () => {
    const pool = await freshPool({ accessTokenValiditySeconds: 4 });
    const storage = memoryStorage();
    const auth = createAuth({
      services: cognitoServices({
        clientId: pool.clientId,
        region: REGION,
        authFlow: 'USER_PASSWORD_AUTH',
        endpoint: pool.endpoint,
      }),
      storage,
    });
    const refreshed = new Promise<void>((resolve) => auth.on('tokensRefreshed', () => resolve()));
    await auth.signIn({ username: pool.username, password: pool.password });
    const before = auth.getSession()!.accessTokenExpiresAt;
    await refreshed;
    expect(auth.getSession()!.accessTokenExpiresAt).toBeGreaterThan(before);
    expect(auth.state).toBe('signedIn.waitingToRefresh');
    auth.stop();
  });

  it('a sign-out during an in-flight refresh ends signed out with no token written back', async () => {
    const pool = await freshPool({ accessTokenValiditySeconds: 4 });
    const real = cognitoServices({
      clientId: pool.clientId,
      region: REGION,
      authFlow: 'USER_PASSWORD_AUTH',
      endpoint: pool.endpoint,
    });
    let refreshStarted!: () => void;
    const started = new Promise<void>((r) => (refreshStarted = r));
    let refreshFinished!: () => void;
    const finished = new Promise<void>((r) => (refreshFinished = r));
    // The real refresh, answered by the server, but only after the sign-out has run.
    const services: AuthServices = {
      ...real,
      refresh: async (token) => {
        refreshStarted();
        await new Promise((r) => setTimeout(r, 300));
        try {
          return await real.refresh(token, new AbortController().signal);
        } finally {
          refreshFinished();
        }
      },
    };
    const storage = memoryStorage();
    const auth = createAuth({ services, storage, revocation: 'always' });
    await auth.signIn({ username: pool.username, password: pool.password });
    await started;
    expect(auth.state).toBe('signedIn.refreshingTokens');
    const result = await auth.signOut();
    await finished;
    await new Promise((r) => setTimeout(r, 50));
    expect(result.status).toBe('complete');
    expect(auth.state).toBe('signedOut');
    expect(storage.keys()).toEqual([]);
    auth.stop();
  });
});

describe('when the network fails', () => {
  const servers: Server[] = [];
  const sockets: Socket[] = [];
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  });

  async function listen(onConnection: (socket: Socket) => void): Promise<number> {
    const server = createServer(onConnection);
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return (server.address() as { port: number }).port;
  }

  async function signedInAgainst(endpointForSignOut: string, remoteStepMs: number) {
    const pool = await freshPool();
    const storage = memoryStorage();
    const signInServices = cognitoServices({
      clientId: pool.clientId,
      region: REGION,
      authFlow: 'USER_PASSWORD_AUTH',
      endpoint: pool.endpoint,
    });
    const broken = cognitoServices({
      clientId: pool.clientId,
      region: REGION,
      authFlow: 'USER_PASSWORD_AUTH',
      endpoint: endpointForSignOut,
    });
    // Sign in for real, then lose the server: the sign-out calls go to the broken endpoint.
    const services: AuthServices = { ...broken, signIn: signInServices.signIn };
    const auth = createAuth({ services, storage, revocation: 'always', timeouts: { remoteStepMs } });
    await auth.signIn({ username: pool.username, password: pool.password });
    return { auth, storage };
  }

  it('connection refused: partial with Network, storage cleared, well inside the bound', async () => {
    const port = await listen(() => {});
    await new Promise((r) => servers.pop()!.close(r));
    const { auth, storage } = await signedInAgainst(`http://127.0.0.1:${port}`, 5000);
    const t0 = performance.now();
    const result = await auth.signOut({ global: true });
    const elapsed = performance.now() - t0;
    expect(result).toMatchObject({
      status: 'partial',
      globalSignOutError: { code: 'Network' },
      revokeTokenError: { code: 'Network' },
      steps: { globalSignOut: 'failed', revokeToken: 'skipped', clearCache: 'done' },
    });
    expect(storage.keys()).toEqual([]);
    expect(elapsed).toBeLessThan(5000);
    auth.stop();
  });

  it('SDK retries of a slow 5xx never outlast the step bound, and stop when it fires', async () => {
    let requests = 0;
    const http = createHttpServer((req, res) => {
      requests++;
      req.resume();
      setTimeout(() => {
        res.writeHead(500, {
          'content-type': 'application/x-amz-json-1.1',
          'x-amzn-errortype': 'InternalErrorException',
        });
        res.end(JSON.stringify({ __type: 'InternalErrorException', message: 'try again' }));
      }, 400);
    });
    servers.push(http as unknown as Server);
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    const port = (http.address() as { port: number }).port;
    const { auth, storage } = await signedInAgainst(`http://127.0.0.1:${port}`, 1000);
    const t0 = performance.now();
    const result = await auth.signOut();
    const elapsed = performance.now() - t0;
    expect(result).toMatchObject({ status: 'partial', revokeTokenError: { code: 'Timeout' } });
    expect(elapsed).toBeLessThan(1250);
    expect(storage.keys()).toEqual([]);
    const seen = requests;
    await new Promise((r) => setTimeout(r, 1500));
    // Three attempts would need > 1.2 s plus backoff; the abort cut the retry loop off.
    expect(seen).toBeGreaterThanOrEqual(1);
    expect(requests).toBe(seen);
    auth.stop();
  });

  it('a server that accepts and never answers: sign-out resolves within remoteStepMs + 250 ms', async () => {
    const port = await listen((socket) => sockets.push(socket));
    const { auth, storage } = await signedInAgainst(`http://127.0.0.1:${port}`, 1000);
    const t0 = performance.now();
    const result = await auth.signOut();
    const elapsed = performance.now() - t0;
    expect(result).toMatchObject({ status: 'partial', revokeTokenError: { code: 'Timeout' } });
    expect(storage.keys()).toEqual([]);
    expect(elapsed).toBeGreaterThanOrEqual(990);
    expect(elapsed).toBeLessThan(1250);
    auth.stop();
  });
});
