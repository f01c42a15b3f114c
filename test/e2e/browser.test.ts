import { mkdirSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Auth } from '../../src/index.js';
import { type BrowserDemo, startBrowserDemo } from '../../tools/browser-demo.js';
import { createPool, createUser, enableMfa, totp } from '../../tools/cognito-admin.js';
import { adminClient } from '../../tools/embedded-cognito.js';
import { launchChromium, requireChromium } from '../helpers/chromium.js';
import { freshPool, startSmsCognito, wrongCode } from '../integration/helpers.js';

const haveChromium = requireChromium('e2e');

const SHOTS = new URL('../../test-results/', import.meta.url).pathname;

describe.skipIf(!haveChromium)('browser demo in Debian Chromium (Playwright)', () => {
  let demo: BrowserDemo;
  let browser: Browser;

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    demo = await startBrowserDemo();
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await demo?.stop();
  });

  async function openDemo(context?: BrowserContext) {
    const pool = await freshPool();
    return { ...(await openPage(pool, context)), pool };
  }

  async function openPage(pool: { endpoint: string; clientId: string }, context?: BrowserContext) {
    const ctx = context ?? (await browser.newContext());
    const page = await ctx.newPage();
    const url = `${demo.origin}/?${new URLSearchParams({ endpoint: pool.endpoint, clientId: pool.clientId, remoteStepMs: '3000' })}`;
    await page.goto(url);
    await page.waitForSelector('body[data-ready="true"]');
    return { page, ctx, url };
  }

  async function signIn(page: Page, pool: { username: string; password: string }) {
    await page.fill('#username', pool.username);
    await page.fill('#password', pool.password);
    await page.click('#sign-in-button');
    await page.waitForSelector('body[data-status="signedIn"]');
  }

  const ourKeys = (page: Page, clientId: string) =>
    page.evaluate((prefix) => Object.keys(localStorage).filter((k) => k.startsWith(prefix)), `authchart.${clientId}.`);

  it('sign in → "Sign out": complete, none of our keys in localStorage, unrelated keys survive', async () => {
    const { page, pool, ctx } = await openDemo();
    await page.evaluate(() => localStorage.setItem('app.theme', 'dark'));
    await signIn(page, pool);
    expect(await ourKeys(page, pool.clientId)).toEqual([`authchart.${pool.clientId}.session`]);
    await page.click('#sign-out');
    await page.waitForSelector('body[data-last-result]');
    const result = JSON.parse((await page.textContent('#result')) ?? '{}');
    expect(result).toMatchObject({ status: 'complete', steps: { revokeToken: 'done', clearCache: 'done' } });
    expect(await page.textContent('#state')).toBe('signedOut');
    expect(await ourKeys(page, pool.clientId)).toEqual([]);
    expect(await page.evaluate(() => localStorage.getItem('app.theme'))).toBe('dark');
    await page.screenshot({ path: `${SHOTS}e2e-sign-out.png`, fullPage: true });
    await ctx.close();
  });

  it('offline: "Sign out" is partial with Offline at once, storage cleared; back online, sign-in works', async () => {
    const { page, pool, ctx } = await openDemo();
    await signIn(page, pool);
    await ctx.setOffline(true);
    await page.waitForSelector('#network.offline');
    const t0 = Date.now();
    await page.click('#sign-out');
    await page.waitForSelector('body[data-last-result]');
    const elapsed = Date.now() - t0;
    const result = JSON.parse((await page.textContent('#result')) ?? '{}');
    expect(result).toMatchObject({
      status: 'partial',
      revokeTokenError: { code: 'Offline' },
      steps: { revokeToken: 'skipped', clearCache: 'done' },
    });
    expect(elapsed).toBeLessThan(1000); // no network wait
    expect(await ourKeys(page, pool.clientId)).toEqual([]);
    await page.screenshot({ path: `${SHOTS}e2e-offline.png`, fullPage: true });

    await ctx.setOffline(false);
    await page.waitForSelector('#network:not(.offline)');
    await signIn(page, pool);
    expect(await page.textContent('#user')).not.toBe('—');
    await ctx.close();
  });

  it('reload after sign-in restores the session; reload after sign-out does not', async () => {
    const { page, pool, ctx } = await openDemo();
    await signIn(page, pool);
    await page.reload();
    await page.waitForSelector('body[data-ready="true"]');
    expect(await page.getAttribute('body', 'data-status')).toBe('signedIn');
    await page.screenshot({ path: `${SHOTS}e2e-restored.png`, fullPage: true });
    await page.click('#sign-out');
    await page.waitForSelector('body[data-last-result]');
    await page.reload();
    await page.waitForSelector('body[data-ready="true"]');
    expect(await page.getAttribute('body', 'data-status')).toBe('signedOut');
    await ctx.close();
  });

  it('two tabs: a sign-in in one restores the other; a sign-out in one signs the other out with no request', async () => {
    const { page: a, pool, ctx, url } = await openDemo();
    const b = await ctx.newPage();
    await b.goto(url);
    await b.waitForSelector('body[data-ready="true"]');
    await signIn(a, pool);
    await b.waitForSelector('body[data-status="signedIn"]');
    const requestsFromB: string[] = [];
    b.on('request', (r) => {
      if (r.url().startsWith(pool.endpoint)) requestsFromB.push(r.url());
    });
    await a.click('#sign-out');
    await b.waitForSelector('body[data-status="signedOut"]');
    expect(await b.textContent('#state')).toBe('signedOut');
    expect(requestsFromB).toEqual([]);
    await b.screenshot({ path: `${SHOTS}e2e-second-tab.png`, fullPage: true });
    await ctx.close();
    // Two Chromium tabs on a 2-core machine: under load (a CI run beside other work) this took over
    // 20 s once, where alone it takes 2 s. The wait is for the browser, not for authchart's bounds.
  }, 45_000);

  /** A pool on the run's cognito-local with one user: temporary password, or TOTP MFA (answers its secret). */
  async function challengePool(kind: 'newPassword' | 'totp') {
    const endpoint = inject('cognitoEndpoint');
    const admin = adminClient(endpoint);
    try {
      const { userPoolId, clientId } = await createPool(admin);
      const temporary = kind === 'newPassword';
      const user = await createUser(admin, userPoolId, {
        password: temporary ? 'Temp-Pass-1' : 'Correct-Horse-9',
        ...(temporary ? { temporary } : {}),
      });
      const secret = kind === 'totp' ? ((await enableMfa(admin, clientId, user, { totp: true })) ?? '') : '';
      return { endpoint, clientId, user, secret };
    } finally {
      admin.destroy();
    }
  }

  async function startSignIn(page: Page, user: { username: string; password: string }) {
    await page.fill('#username', user.username);
    await page.fill('#password', user.password);
    await page.click('#sign-in-button');
  }

  it("a laptop asleep past the access token's expiry: when the page becomes visible again, one refresh at once", async () => {
    const pool = await freshPool();
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    await page.clock.install(); // Date and timers under the test's control; time still flows
    const url = `${demo.origin}/?${new URLSearchParams({ endpoint: pool.endpoint, clientId: pool.clientId })}`;
    await page.goto(url);
    await page.waitForSelector('body[data-ready="true"]');
    await signIn(page, pool);
    const refreshes: string[] = [];
    page.on('request', (r) => {
      if (r.url().startsWith(pool.endpoint) && (r.postData() ?? '').includes('REFRESH_TOKEN')) refreshes.push(r.url());
    });
    const tokenBefore = await page.evaluate(() => (window as unknown as { auth: Auth }).auth.getTokens()?.accessToken);
    // Headless Chromium never hides a page (another tab in front or a minimised window leaves it
    // 'visible'), so the page says it is hidden, then visible, with the real event the browser fires.
    const setVisibility = (state: 'hidden' | 'visible') =>
      page.evaluate((v) => {
        Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => v });
        document.dispatchEvent(new Event('visibilitychange'));
      }, state);
    await setVisibility('hidden');
    // Then sleep: the clock moves a minute past the access token's expiry (cognito-local issues them
    // for a day) while no timer runs, as on a laptop whose lid was closed.
    const expiresAt = await page.evaluate(
      () => (window as unknown as { auth: Auth }).auth.getSession()?.accessTokenExpiresAt ?? 0,
    );
    await page.clock.setSystemTime(expiresAt + 60_000);
    await page.clock.runFor(300);
    expect(refreshes).toEqual([]);
    await setVisibility('visible');
    // Polled from here: the page's own timers and animation frames are the fake clock's.
    const tokenNow = () => page.evaluate(() => (window as unknown as { auth: Auth }).auth.getTokens()?.accessToken);
    for (let i = 0; i < 100 && (await tokenNow()) === tokenBefore; i++) {
      await page.clock.runFor(50);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(await tokenNow()).not.toBe(tokenBefore);
    await page.clock.runFor(1000);
    expect(refreshes).toHaveLength(1);
    expect(await page.getAttribute('body', 'data-status')).toBe('signedIn');
    await ctx.close();
  }, 45_000);

  it('a user with a temporary password: the "New password" field, Confirm, signed in with tokens stored', async () => {
    const setup = await challengePool('newPassword');
    const { page, ctx } = await openPage(setup);
    await startSignIn(page, setup.user);
    await page.waitForSelector('body[data-challenge="newPassword"]');
    expect(await page.textContent('#state')).toBe('signingIn.challenged.newPasswordRequired');
    const field = page.getByLabel('New password');
    expect(await field.isVisible()).toBe(true);
    expect(await field.getAttribute('type')).toBe('password');
    expect(await page.isVisible('#challenge-choice')).toBe(false);
    expect(await ourKeys(page, setup.clientId)).toEqual([]);
    await page.screenshot({ path: `${SHOTS}e2e-new-password.png`, fullPage: true });

    await field.fill('Brand-New-Pass-2');
    await page.getByRole('button', { name: 'Confirm' }).click();
    await page.waitForSelector('body[data-status="signedIn"]');
    expect(await page.textContent('#user')).toBe(setup.user.username);
    expect(await page.isVisible('#challenge-form')).toBe(false);
    expect(await page.getAttribute('body', 'data-challenge')).toBeNull();
    expect(await ourKeys(page, setup.clientId)).toEqual([`authchart.${setup.clientId}.session`]);
    await page.screenshot({ path: `${SHOTS}e2e-new-password-done.png`, fullPage: true });
    await ctx.close();
  });

  it('TOTP: a wrong "Authenticator code" shows CodeMismatch and keeps the field; the right code signs in', async () => {
    const setup = await challengePool('totp');
    const { page, ctx } = await openPage(setup);
    await startSignIn(page, setup.user);
    await page.waitForSelector('body[data-challenge="totpCode"]');
    const field = page.getByLabel('Authenticator code');
    await field.fill(wrongCode(totp(setup.secret)));
    await page.getByRole('button', { name: 'Confirm' }).click();
    await page.waitForFunction(() => document.getElementById('sign-in-error')?.textContent?.startsWith('CodeMismatch'));
    expect(await page.textContent('#state')).toBe('signingIn.challenged.totpCodeRequired');
    expect(await field.isVisible()).toBe(true);
    expect(await field.inputValue()).toBe('');
    await page.screenshot({ path: `${SHOTS}e2e-totp-mismatch.png`, fullPage: true });

    await field.fill(totp(setup.secret));
    await page.getByRole('button', { name: 'Confirm' }).click();
    await page.waitForSelector('body[data-status="signedIn"]');
    expect(await page.textContent('#sign-in-error')).toBe('');
    await ctx.close();
  });

  it('"Cancel" during a challenge signs out: nothing stored, back to the sign-in form', async () => {
    const setup = await challengePool('totp');
    const { page, ctx } = await openPage(setup);
    await startSignIn(page, setup.user);
    await page.waitForSelector('body[data-challenge="totpCode"]');
    await page.getByRole('button', { name: 'Cancel' }).click();
    await page.waitForSelector('body[data-status="signedOut"]:not([data-challenge])');
    expect(await page.isVisible('#challenge-form')).toBe(false);
    expect(await page.isEnabled('#sign-in-button')).toBe(true);
    expect(await ourKeys(page, setup.clientId)).toEqual([]);
    await ctx.close();
  });

  it('SELECT_MFA_TYPE: a choice of second factor, "Authenticator app", then its code signs in', async () => {
    const sms = await startSmsCognito('Correct-Horse-9');
    try {
      const { page, ctx } = await openPage({ endpoint: sms.cognito.endpoint, clientId: sms.clientId });
      await startSignIn(page, sms.bothUser);
      await page.waitForSelector('body[data-challenge="selectMfa"]');
      expect(await page.textContent('#state')).toBe('signingIn.challenged.mfaSelectionRequired');
      const choice = page.getByLabel('Second factor');
      expect(await choice.locator('option').allTextContents()).toEqual(
        expect.arrayContaining(['Authenticator app', 'SMS']),
      );
      expect(await page.isVisible('#challenge-answer')).toBe(false);
      await page.screenshot({ path: `${SHOTS}e2e-select-mfa.png`, fullPage: true });
      await choice.selectOption('SOFTWARE_TOKEN_MFA');
      await page.getByRole('button', { name: 'Confirm' }).click();
      await page.waitForSelector('body[data-challenge="totpCode"]');
      await page.getByLabel('Authenticator code').fill(totp(sms.totpSecret));
      await page.getByRole('button', { name: 'Confirm' }).click();
      await page.waitForSelector('body[data-status="signedIn"]');
      await ctx.close();
    } finally {
      await sms.stop();
    }
  }, 60_000);
});
