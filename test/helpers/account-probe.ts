/**
 * One set-up for the hostile `authchart/account` race probes (test/account/{hostile-transport,secrets-echoed,auto-sign-in-races,delete-user-races,amplify-hostile-storage}.test.ts):
 * an instance on `fakeServices()` (scriptable `cognitoCall`) with short bounds, stopped after each
 * test, its `signedIn`/`signedOut` events recorded; where a refresh token went (promise tracking: gated.ts's `track`).
 */
import { afterEach, vi } from 'vitest';
import {
  type Auth,
  type AuthEventPayload,
  createAuth,
  isAuthError,
  memoryStorage,
  type TokenStorage,
} from '../../src/index.js';
import { type FakeServices, fakeServices } from './fakes.js';

export const STEP_MS = 200;
export const PASSWORD = 'Sup3r-Secret-Pa55!';
const made: Auth[] = [];
/** Call once per test file: stops every instance `make` made after each test. */
export function stopAfterEach(): void {
  afterEach(() => {
    for (const a of made.splice(0)) a.stop();
  });
}

/** An instance on `fake` (bounds: remoteStepMs 200, storageMs 100), its sign-in/out events recorded. */
export function make(fake: FakeServices = fakeServices(), storage: TokenStorage = memoryStorage()) {
  const auth = createAuth({
    services: fake,
    storage,
    sync: null,
    connectivity: fake.cognito.connectivity,
    timeouts: { remoteStepMs: STEP_MS, storageMs: 100 },
  });
  made.push(auth);
  const signedOut: AuthEventPayload<'signedOut'>[] = [];
  const signedIn: unknown[] = [];
  auth.on('signedOut', (e) => signedOut.push(e));
  auth.on('signedIn', (e) => signedIn.push(e));
  return { auth, fake, storage, signedOut, signedIn };
}

export const codeOf = (e: unknown) => (isAuthError(e) ? e.code : `not an AuthError: ${String(e)}`);

/** Where a refresh token is: held, revoked, or neither (lost). */
export function whereIs(auth: Auth, fake: FakeServices, refreshToken: string) {
  if (auth.getTokens()?.refreshToken === refreshToken) return 'held';
  if (fake.calls.revokeToken.some((c) => c.arg === refreshToken)) return 'revoked';
  return 'lost';
}

/* Secrets and hostile transports (account/hostile-transport.test.ts, account/secrets-echoed.test.ts). */
export const NEW_PASSWORD = 'N3w-Secret-Pa55?';
export const CODE = '918273';
export const TOTP = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
/** The account calls' bound in the secrets/transport probes. */
export const INSPECTED_STEP_MS = 150;

const inspected: Auth[] = [];
/** Call once per file: stops what `makeInspected` made, restores console spies, after each test. */
export function cleanUpAfterEach(): void {
  afterEach(() => {
    for (const a of inspected.splice(0)) a.stop();
    vi.restoreAllMocks();
  });
}

/** An instance on `fake` (remoteStepMs 150) recording its inspection events. */
export function makeInspected(fake: FakeServices = fakeServices()) {
  const events: unknown[] = [];
  const auth = createAuth({
    services: fake,
    storage: memoryStorage(),
    sync: null,
    timeouts: { remoteStepMs: INSPECTED_STEP_MS },
    inspect: (e) => events.push(e),
  });
  inspected.push(auth);
  return { auth, fake, events };
}

export const typed = (e: unknown) =>
  isAuthError(e)
    ? `AuthError:${typeof e.code === 'string' && (e.code as string) !== ''}`
    : `not AuthError: ${String(e)}`;

/** Races `p` against a bound: 'hung' if it does not settle within `ms`. */
export const within = (p: Promise<unknown>, ms: number) =>
  Promise.race([
    p.then(
      () => 'resolved',
      (e: unknown) => e,
    ),
    new Promise((r) => setTimeout(() => r('hung'), ms)),
  ]);

/** Everything an error shows: message, name, service name, JSON, its causes' text and stacks. */
export const dump = (e: unknown) => {
  const err = e as Error & { cause?: unknown; serviceName?: unknown };
  let causes = '';
  for (let c: unknown = err, i = 0; c && i < 5; c = (c as { cause?: unknown }).cause, i++) {
    causes += ` ${String(c)} ${(c as Error).stack ?? ''} ${JSON.stringify(c, Object.getOwnPropertyNames(c ?? {}))}`;
  }
  return `${String(err)} ${err.message} ${String(err.serviceName)} ${JSON.stringify(err)} ${causes}`;
};
/** Console lines, captured (restored by `cleanUpAfterEach`). */
export function spyConsole() {
  const lines: string[] = [];
  for (const m of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    vi.spyOn(console, m).mockImplementation((...args: unknown[]) => {
      lines.push(args.map((a) => (a instanceof Error ? `${a.message} ${a.stack}` : String(a))).join(' '));
    });
  }
  return lines;
}

export const secretsIn = (text: string) => [PASSWORD, NEW_PASSWORD, CODE, TOTP].filter((s) => text.includes(s));
