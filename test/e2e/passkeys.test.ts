/**
 * Passkeys in a real browser: Debian Chromium (Playwright) with a CDP virtual authenticator
 * (`WebAuthn.addVirtualAuthenticator`) drives the browser demo against a test Cognito endpoint
 * (test/helpers/passkey-cognito.ts) whose USER_AUTH and passkey calls check each WebAuthn ceremony
 * with `@simplewebauthn/server`, every other call going to the embedded Cognito. The page is opened
 * on `http://localhost:<port>`: WebAuthn needs a secure context and a domain as RP ID.
 */
import { generateKeyPairSync } from 'node:crypto';
import type { Browser, CDPSession } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type BrowserDemo, startBrowserDemo } from '../../tools/browser-demo.js';
import { launchChromium, requireChromium } from '../helpers/chromium.js';
import { type PasskeyCognito, startPasskeyCognito } from '../helpers/passkey-cognito.js';
import { freshPool } from '../integration/helpers.js';

const haveChromium = requireChromium('e2e passkeys');

/** CDP's base64 (a credential id) as WebAuthn's base64url. */
const base64url = (b64: string) => b64.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

describe.skipIf(!haveChromium)('browser demo: passkeys in Chromium with a virtual authenticator', () => {
  let demo: BrowserDemo;
  let browser: Browser;
  /** The page's origin: localhost, not 127.0.0.1 (the demo listens on 127.0.0.1, which localhost reaches). */
  let origin: string;
  const servers: PasskeyCognito[] = [];

  beforeAll(async () => {
    demo = await startBrowserDemo();
    origin = demo.origin.replace('//127.0.0.1:', '//localhost:');
    browser = await launchChromium();
  }, 120_000);

  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.stop()));
  });

  afterAll(async () => {
    await browser?.close();
    await demo?.stop();
  });

  /** A fresh pool and user behind the passkey endpoint, and the demo page on it with a virtual authenticator. */
  async function setUp() {
    const pool = await freshPool();
    const server = await startPasskeyCognito({
      cognitoEndpoint: pool.endpoint,
      clientId: pool.clientId,
      origin,
      users: { [pool.username]: pool.password },
    });
    servers.push(server);
    const context = await browser.newContext();
    const page = await context.newPage();
    const cdp: CDPSession = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable', { enableUI: false });
    const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: {
        protocol: 'ctap2',
        transport: 'internal',
        hasResidentKey: true,
        hasUserVerification: true,
        isUserVerified: true,
        automaticPresenceSimulation: true,
      },
    });
    await page.goto(`${origin}/?${new URLSearchParams({ endpoint: server.endpoint, clientId: pool.clientId })}`);
    await page.waitForSelector('body[data-ready="true"]');
    const credentials = async () => (await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials;
    return { pool, server, page, cdp, authenticatorId, credentials };
  }
  type World = Awaited<ReturnType<typeof setUp>>;

  /** Signs in with the password (forwarded to cognito-local), registers a passkey, signs out. */
  async function registerAndSignOut(w: World) {
    const { page, pool } = w;
    await page.fill('#username', pool.username);
    await page.fill('#password', pool.password);
    await page.click('#sign-in-button');
    await page.waitForSelector('body[data-status="signedIn"]');
    await page.click('#register-passkey');
    await page.waitForSelector('body:not([data-passkey-registration="pending"])[data-passkey-registration]');
    expect({
      outcome: await page.getAttribute('body', 'data-passkey-registration'),
      message: await page.textContent('#passkey-message'),
      error: await page.textContent('#passkey-error'),
    }).toEqual({ outcome: 'registered', message: 'Passkey registered: this account has 1 passkey.', error: '' });
    await page.click('#sign-out');
    await page.waitForSelector('body[data-status="signedOut"][data-last-result="complete"]');
    await page.evaluate(() => {
      delete document.body.dataset['lastResult'];
    });
  }

  /**
   * Clicks "Sign in with a passkey" for the pool's user and waits for its outcome (`signedIn`, the
   * challenge asked, or an error code) and the error shown.
   */
  async function passkeySignIn(w: World) {
    await w.page.fill('#username', w.pool.username);
    await w.page.click('#passkey-sign-in');
    await w.page.waitForSelector('body:not([data-passkey-sign-in="pending"])[data-passkey-sign-in]');
    return {
      outcome: await w.page.getAttribute('body', 'data-passkey-sign-in'),
      error: await w.page.textContent('#sign-in-error'),
    };
  }
  const SIGNED_IN = { outcome: 'signedIn', error: '' };

  const webAuthnAnswers = (server: PasskeyCognito) =>
    server.answered.filter((a) => a.target === 'RespondToAuthChallenge' && a.challenge === 'WEB_AUTHN');

  it('registers a passkey while signed in, then signs in with it: the endpoint verified both ceremonies', async () => {
    const w = await setUp();
    await registerAndSignOut(w);

    // The authenticator holds a discoverable credential for localhost; the endpoint keeps its public key.
    const [held] = await w.credentials();
    expect(held).toMatchObject({ rpId: 'localhost', isResidentCredential: true });
    const stored = w.server.userAuth.passkeys.get(w.pool.username) ?? [];
    expect(stored.map((p) => p.credential.id)).toEqual([base64url(held?.credentialId ?? '')]);
    expect(w.server.answered.map((a) => `${a.target} ${a.status}`)).toEqual([
      'StartWebAuthnRegistration 200',
      'CompleteWebAuthnRegistration 200',
      'ListWebAuthnCredentials 200',
    ]);

    expect(await passkeySignIn(w)).toEqual(SIGNED_IN);
    expect(await w.page.getAttribute('body', 'data-status')).toBe('signedIn');
    expect(await w.page.textContent('#state')).toMatch(/^signedIn/);
    expect(await w.page.textContent('#user')).toBe(w.pool.username);
    expect(w.server.answered.slice(3)).toEqual([
      { target: 'InitiateAuth', challenge: 'WEB_AUTHN', status: 200 },
      { target: 'RespondToAuthChallenge', challenge: 'WEB_AUTHN', status: 200 },
    ]);
    // The assertion was counted: the authenticator's counter moved, and the verifier kept it.
    const [after] = await w.credentials();
    expect(after?.signCount).toBeGreaterThan(held?.signCount ?? 0);
    expect(stored[0]?.credential.counter).toBe(after?.signCount);

    // The tokens are cognito-local's own: its RevokeToken (forwarded) takes them, the sign-out is complete.
    const forwarded = w.server.forwarded();
    await w.page.click('#sign-out');
    await w.page.waitForSelector('body[data-status="signedOut"][data-last-result="complete"]');
    expect(w.server.forwarded()).toBeGreaterThan(forwarded);
    await w.page.context().close();
  });

  it('a key the endpoint did not register is refused (NotAuthorized); the registered one then signs in', async () => {
    const w = await setUp();
    await registerAndSignOut(w);
    const [original] = await w.credentials();
    if (!original) throw new Error('no credential registered');

    // The same credential id, user and RP, but a private key of its own: the signature cannot verify.
    const forged = generateKeyPairSync('ec', { namedCurve: 'P-256' })
      .privateKey.export({ format: 'der', type: 'pkcs8' })
      .toString('base64');
    const { authenticatorId, cdp } = w;
    await cdp.send('WebAuthn.removeCredential', { authenticatorId, credentialId: original.credentialId });
    await cdp.send('WebAuthn.addCredential', { authenticatorId, credential: { ...original, privateKey: forged } });

    expect(await passkeySignIn(w)).toEqual({
      outcome: 'NotAuthorized',
      error: expect.stringMatching(/^NotAuthorized: .*The passkey assertion failed/),
    });
    expect(await w.page.getAttribute('body', 'data-status')).toBe('signedOut');
    expect(webAuthnAnswers(w.server)).toEqual([
      { target: 'RespondToAuthChallenge', challenge: 'WEB_AUTHN', status: 400, error: 'NotAuthorizedException' },
    ]);
    const ours = await w.page.evaluate(
      (prefix) => Object.keys(localStorage).filter((k) => k.startsWith(prefix)),
      `authchart.${w.pool.clientId}.`,
    );
    expect(ours).toEqual([]);

    // Back to the registered key (its counter moved past the forged use): the same page signs in.
    await cdp.send('WebAuthn.removeCredential', { authenticatorId, credentialId: original.credentialId });
    await cdp.send('WebAuthn.addCredential', {
      authenticatorId,
      credential: { ...original, signCount: original.signCount + 5 },
    });
    expect(await passkeySignIn(w)).toEqual(SIGNED_IN);
    expect(webAuthnAnswers(w.server).map((a) => a.status)).toEqual([400, 200]);
    await w.page.context().close();
  });

  it('a sign-out during the passkey prompt cancels it: the sign-in rejects Cancelled, nothing is answered', async () => {
    const w = await setUp();
    await registerAndSignOut(w);
    // Nobody touches the authenticator: the prompt waits.
    await w.cdp.send('WebAuthn.setAutomaticPresenceSimulation', { authenticatorId: w.authenticatorId, enabled: false });

    await w.page.fill('#username', w.pool.username);
    await w.page.click('#passkey-sign-in');
    await w.page.waitForFunction(
      () => document.getElementById('state')?.textContent === 'signingIn.challenged.passkey',
    );
    expect(await w.page.isEnabled('#sign-out')).toBe(true);
    await w.page.click('#sign-out');

    await w.page.waitForSelector('body[data-passkey-sign-in="Cancelled"]');
    expect(await w.page.textContent('#sign-in-error')).toMatch(/^Cancelled: /);
    await w.page.waitForSelector('body[data-status="signedOut"][data-last-result="complete"]');
    expect(await w.page.textContent('#state')).toBe('signedOut');
    expect(JSON.parse((await w.page.textContent('#result')) ?? '{}')).toMatchObject({ status: 'complete' });
    // The challenge was started, never answered: no assertion reached the endpoint.
    expect(w.server.answered.at(-1)).toEqual({ target: 'InitiateAuth', challenge: 'WEB_AUTHN', status: 200 });
    expect(webAuthnAnswers(w.server)).toEqual([]);

    // The cancelled prompt left nothing behind: with the user present again, the passkey signs in.
    await w.cdp.send('WebAuthn.setAutomaticPresenceSimulation', { authenticatorId: w.authenticatorId, enabled: true });
    expect(await passkeySignIn(w)).toEqual(SIGNED_IN);
    await w.page.context().close();
  });

  it('a user with no passkey yet is offered the choice of factors; the password chosen signs in (USER_AUTH)', async () => {
    const w = await setUp();
    expect(await passkeySignIn(w)).toEqual({ outcome: 'selectChallenge', error: '' });
    const choice = w.page.getByLabel('Sign in with');
    expect(await choice.locator('option').evaluateAll((o) => o.map((e) => (e as HTMLOptionElement).value))).toEqual([
      'PASSWORD',
      'PASSWORD_SRP',
    ]);
    await choice.selectOption('PASSWORD');
    await w.page.click('#confirm-button');
    await w.page.waitForSelector('body[data-challenge="password"]');
    await w.page.fill('#challenge-answer', w.pool.password);
    await w.page.click('#confirm-button');
    await w.page.waitForSelector('body[data-status="signedIn"]');
    expect(w.server.answered.map((a) => `${a.target} ${a.challenge} ${a.status}`)).toEqual([
      'InitiateAuth WEB_AUTHN 200',
      'RespondToAuthChallenge SELECT_CHALLENGE 200',
    ]);
    await w.page.context().close();
  });

  it('where the browser lacks parse*FromJSON and toJSON, the field-by-field conversion registers and signs in', async () => {
    const w = await setUp();
    // As in a browser before WebAuthn Level 3's JSON methods: browserPasskeys converts the binary fields itself.
    await w.page.addInitScript(() => {
      const PKC = PublicKeyCredential as unknown as Record<string, unknown>;
      delete PKC['parseRequestOptionsFromJSON'];
      delete PKC['parseCreationOptionsFromJSON'];
      delete (PublicKeyCredential.prototype as unknown as Record<string, unknown>)['toJSON'];
    });
    await w.page.reload();
    await w.page.waitForSelector('body[data-ready="true"]');
    expect(
      await w.page.evaluate(() => [
        typeof (PublicKeyCredential as unknown as Record<string, unknown>)['parseRequestOptionsFromJSON'],
        typeof (PublicKeyCredential.prototype as unknown as Record<string, unknown>)['toJSON'],
      ]),
    ).toEqual(['undefined', 'undefined']);
    await registerAndSignOut(w);
    expect(await passkeySignIn(w)).toEqual(SIGNED_IN);
    expect(webAuthnAnswers(w.server).map((a) => a.status)).toEqual([200]);
    await w.page.context().close();
  });
});
