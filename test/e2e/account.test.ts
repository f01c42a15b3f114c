/**
 * The browser demo's account flows in Debian Chromium (Playwright) against the embedded Cognito:
 * sign-up with the e-mailed code and auto sign-in, a forgotten password reset with its code, then
 * the account deleted (docs/account.md; docs/sign-out.md rows 30–33).
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BrowserDemo, startBrowserDemo } from '../../tools/browser-demo.js';
import { launchChromium, requireChromium } from '../helpers/chromium.js';
import { startAccountCognito } from '../integration/helpers.js';

const haveChromium = requireChromium('e2e');

describe.skipIf(!haveChromium)('browser demo: account flows in Chromium (Playwright)', () => {
  let demo: BrowserDemo;
  let browser: Browser;
  let pool: Awaited<ReturnType<typeof startAccountCognito>>;

  beforeAll(async () => {
    [demo, pool] = await Promise.all([startBrowserDemo(), startAccountCognito()]);
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await demo?.stop();
    await pool?.stop();
  });

  async function openPage(): Promise<Page> {
    const page = await (await browser.newContext()).newPage();
    const query = new URLSearchParams({ endpoint: pool.cognito.endpoint, clientId: pool.clientId });
    await page.goto(`${demo.origin}/?${query}`);
    await page.waitForSelector('body[data-ready="true"]');
    return page;
  }
  const message = (page: Page) => page.textContent('#account-message');
  const error = (page: Page) => page.textContent('#account-error');

  it('sign-up: a wrong code is CodeMismatch, the sent one confirms and signs in; then a reset, then the account deleted', async () => {
    const page = await openPage();
    const email = `e2e-${Date.now()}@example.com`;

    await page.fill('#sign-up-email', email);
    await page.fill('#sign-up-password', 'Correct-Horse-9');
    await page.click('#sign-up-button');
    await page.waitForSelector('#confirm-sign-up-form:not([hidden])');
    const code = await pool.codeFor(email);
    await page.fill('#sign-up-code', code === '000000' ? '111111' : '000000');
    await page.click('#confirm-sign-up-button');
    await expect.poll(() => error(page)).toMatch(/^CodeMismatch/);
    await page.fill('#sign-up-code', code);
    await page.click('#confirm-sign-up-button');
    await page.waitForSelector('body[data-status="signedIn"]');
    expect(await message(page)).toBe('Account confirmed: you are signed in.');
    expect(await page.textContent('#user')).toBe(email);

    // Forgotten password, asked while signed in: the session stays.
    await page.fill('#forgot-email', email);
    await page.click('#forgot-button');
    await page.waitForSelector('#reset-form:not([hidden])');
    await page.fill('#reset-code', await pool.codeFor(email, code));
    await page.fill('#reset-password', 'Battery-Staple-8');
    await page.click('#reset-button');
    await expect.poll(() => message(page)).toBe('Password changed: sign in with the new one.');
    expect(await page.getAttribute('body', 'data-status')).toBe('signedIn');
    await page.click('#sign-out');
    await page.waitForSelector('body[data-status="signedOut"]');
    await page.fill('#username', email);
    await page.fill('#password', 'Battery-Staple-8');
    await page.click('#sign-in-button');
    await page.waitForSelector('body[data-status="signedIn"]');

    // Deleted: signed out, nothing of ours in localStorage, and the user cannot sign in again.
    await page.click('#delete-account');
    await page.waitForSelector('body[data-status="signedOut"]');
    expect(await message(page)).toBe('Account deleted.');
    const ours = await page.evaluate(
      (prefix) => Object.keys(localStorage).filter((k) => k.startsWith(prefix)),
      `authchart.${pool.clientId}.`,
    );
    expect(ours).toEqual([]);
    await page.click('#sign-in-button');
    await expect.poll(() => page.textContent('#sign-in-error')).toMatch(/^(UserNotFound|NotAuthorized)/);
    await page.context().close();
  });
});
