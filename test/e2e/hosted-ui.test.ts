/**
 * The hosted UI in Debian Chromium (Playwright): the browser demo's "Sign in with the hosted UI"
 * against the embedded OAuth server (oidc-provider with Cognito's paths), through its real login page.
 */
import { mkdirSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BrowserDemo, hostedQuery, startBrowserDemo, startDemoHostedUI } from '../../tools/browser-demo.js';
import type { EmbeddedOAuth } from '../../tools/embedded-oauth.js';
import { launchChromium, requireChromium } from '../helpers/chromium.js';

const haveChromium = requireChromium('hosted-UI e2e');

const SHOTS = new URL('../../test-results/', import.meta.url).pathname;

describe.skipIf(!haveChromium)('hosted UI in Debian Chromium (Playwright)', () => {
  let demo: BrowserDemo;
  let oauth: EmbeddedOAuth;
  let browser: Browser;

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    demo = await startBrowserDemo();
    oauth = await startDemoHostedUI(demo);
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await oauth?.stop();
    await demo?.stop();
  });

  /** The demo with only the hosted UI configured (the password client is never called). */
  async function openDemo(): Promise<{ page: Page; ctx: BrowserContext }> {
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    // A wait that fails names what it waited for, well within the test's own timeout.
    page.setDefaultTimeout(10_000);
    const query = new URLSearchParams({ clientId: 'password-client-unused', remoteStepMs: '3000' });
    await page.goto(`${demo.origin}/?${query}&${hostedQuery(oauth)}`);
    await page.waitForSelector('body[data-ready="true"]');
    return { page, ctx };
  }

  const onLoginPage = (page: Page) =>
    page.waitForURL((url) => url.origin === oauth.domain).then(() => page.waitForSelector('form#login'));

  /** Clicks "Sign in with the hosted UI" and signs in on the OAuth server's login page. */
  async function signInOnLoginPage(page: Page, shot?: string) {
    await page.click('#hosted-sign-in');
    await onLoginPage(page);
    if (shot) await page.screenshot({ path: `${SHOTS}${shot}`, fullPage: true });
    await page.fill('form#login input[name="username"]', oauth.user.username);
    await page.fill('form#login input[name="password"]', oauth.user.password);
    await page.click('form#login button[type="submit"]');
    await page.waitForURL((url) => url.origin === demo.origin);
  }

  const hostedKeys = (page: Page) =>
    page.evaluate(
      (prefix) => Object.keys(localStorage).filter((k) => k.startsWith(prefix)),
      `authchart.${oauth.clientId}.`,
    );
  const lastResult = async (page: Page) => JSON.parse((await page.textContent('#result')) ?? '{}');

  it('redirect sign-in through the login page: signed in as hostedUI, the URL cleaned, customState back', async () => {
    const { page, ctx } = await openDemo();
    await signInOnLoginPage(page, 'e2e-hosted-login-page.png');
    await page.waitForSelector('body[data-status="signedIn"][data-redirect="signedIn"]');
    expect(await page.getAttribute('body', 'data-custom-state')).toBe('from-the-demo');
    expect(await page.textContent('#signed-in-with')).toBe('hostedUI');
    expect(await page.textContent('#user')).toBe(oauth.user.email);
    const url = new URL(page.url());
    expect(url.pathname).toBe('/');
    expect(url.searchParams.has('code')).toBe(false);
    expect(url.searchParams.has('state')).toBe(false);
    const keys = await hostedKeys(page);
    expect(keys.some((k) => k.endsWith('.session'))).toBe(true);
    expect(keys.some((k) => k.endsWith('.redirectTransaction'))).toBe(false);
    await page.screenshot({ path: `${SHOTS}e2e-hosted-signed-in.png`, fullPage: true });
    await ctx.close();
  }, 30_000);

  it('a reload restores the hosted-UI session', async () => {
    const { page, ctx } = await openDemo();
    await signInOnLoginPage(page);
    await page.waitForSelector('body[data-status="signedIn"]');
    await page.reload();
    await page.waitForSelector('body[data-ready="true"]');
    expect(await page.getAttribute('body', 'data-status')).toBe('signedIn');
    expect(await page.textContent('#signed-in-with')).toBe('hostedUI');
    // No second exchange on reload: the URL no longer carries the code.
    expect(await page.getAttribute('body', 'data-redirect')).toBeNull();
    await ctx.close();
  }, 30_000);

  it('sign-out goes through /logout and comes back signed out; the next sign-in shows the login page again', async () => {
    const { page, ctx } = await openDemo();
    await signInOnLoginPage(page);
    await page.waitForSelector('body[data-status="signedIn"]');
    const logouts = oauth.logouts.length;
    await page.click('#sign-out');
    await page.waitForURL((url) => url.pathname === '/signed-out' || url.pathname === '/');
    await page.waitForSelector('body[data-ready="true"][data-status="signedOut"]');
    expect(oauth.logouts.slice(logouts)).toEqual([
      { clientId: oauth.clientId, logoutUri: `${demo.origin}/signed-out` },
    ]);
    expect(await hostedKeys(page)).toEqual([]);
    expect(new URL(page.url()).pathname).toBe('/');
    // The result was kept across the trip to /logout.
    await page.waitForSelector('body[data-last-result="complete"]');
    expect(await lastResult(page)).toMatchObject({
      status: 'complete',
      steps: { hostedUISignOut: 'done', revokeToken: 'done', clearCache: 'done' },
    });
    await page.screenshot({ path: `${SHOTS}e2e-hosted-signed-out.png`, fullPage: true });
    // The browser session at the hosted UI really ended: its login page comes back.
    await page.click('#hosted-sign-in');
    await onLoginPage(page);
    await ctx.close();
  }, 30_000);

  it('offline sign-out: partial with the Offline hosted-UI error, storage cleared, no /logout', async () => {
    const { page, ctx } = await openDemo();
    await signInOnLoginPage(page);
    await page.waitForSelector('body[data-status="signedIn"]');
    const logouts = oauth.logouts.length;
    await ctx.setOffline(true);
    await page.waitForSelector('#network.offline');
    await page.click('#sign-out');
    await page.waitForSelector('body[data-last-result]');
    expect(await lastResult(page)).toMatchObject({
      status: 'partial',
      steps: { hostedUISignOut: 'skipped', revokeToken: 'skipped', clearCache: 'done' },
      hostedUISignOutError: { code: 'Offline' },
      revokeTokenError: { code: 'Offline' },
    });
    expect(await page.textContent('#result')).toContain('The hosted UI sign-out was skipped: the device is offline');
    expect(new URL(page.url()).origin).toBe(demo.origin);
    expect(await hostedKeys(page)).toEqual([]);
    expect(oauth.logouts.length).toBe(logouts);
    await page.screenshot({ path: `${SHOTS}e2e-hosted-offline.png`, fullPage: true });

    // What `partial` warned about: the hosted UI's browser session lived on, so the next sign-in
    // comes straight back without its login page.
    await ctx.setOffline(false);
    await page.waitForSelector('#network:not(.offline)');
    const visited: string[] = [];
    page.on('framenavigated', (frame) => visited.push(frame.url()));
    await page.click('#hosted-sign-in');
    await page.waitForSelector('body[data-status="signedIn"][data-redirect="signedIn"]');
    expect(visited.some((u) => u.startsWith(oauth.domain))).toBe(false);
    expect(visited.some((u) => u.includes('/interaction/'))).toBe(false);
    await ctx.close();
  }, 30_000);

  it('a tampered state in the callback URL is refused: StateMismatch, nothing stored', async () => {
    const { page, ctx } = await openDemo();
    await page.click('#hosted-sign-in');
    await onLoginPage(page);
    // Sign in on the real login page with the context's own cookies, but stop at the redirect to the
    // app: Playwright routes only the first request of a redirect chain, so the hops are followed here.
    const action = new URL((await page.getAttribute('form#login', 'action'))!, page.url()).href;
    let response = await ctx.request.post(action, {
      form: { username: oauth.user.username, password: oauth.user.password },
      maxRedirects: 0,
    });
    let location = new URL(response.headers()['location']!, action);
    while (location.origin === oauth.domain) {
      response = await ctx.request.get(location.href, { maxRedirects: 0 });
      location = new URL(response.headers()['location']!, location);
    }
    expect(location.pathname).toBe('/callback');
    expect(location.searchParams.get('code')).toBeTruthy();
    const stored = async () =>
      ((await ctx.storageState()).origins.find((o) => o.origin === demo.origin)?.localStorage ?? []).map((e) => e.name);
    expect(await stored()).toContain(`authchart.${oauth.clientId}.redirectTransaction`);
    const genuine = location.href;
    location.searchParams.set('state', 'forged');
    await page.goto(location.href);
    await page.waitForSelector('body[data-redirect="StateMismatch"]');
    expect(await page.textContent('#sign-in-error')).toMatch(/^StateMismatch: /);
    expect(await page.getAttribute('body', 'data-status')).toBe('signedOut');
    expect(await hostedKeys(page)).toEqual([]);
    expect(await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('authchart.')))).toEqual([]);
    expect(new URL(page.url()).searchParams.has('code')).toBe(false);
    await page.screenshot({ path: `${SHOTS}e2e-hosted-tampered-state.png`, fullPage: true });
    // The transaction went with the refusal: not even the genuine callback signs in now.
    await page.goto(genuine);
    await page.waitForSelector('body[data-redirect="StateMismatch"]');
    expect(await stored()).toEqual([]);
    await ctx.close();
  }, 30_000);
});
