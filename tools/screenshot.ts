/**
 * `npm run docs:screenshot`: the browser demo after a sign-in and a global sign-out, in Debian
 * Chromium, saved as docs/demo.png for the README.
 */
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startBrowserDemo } from './browser-demo.js';
import { createPoolWithUser, startEmbeddedCognito } from './embedded-cognito.js';

const cognito = await startEmbeddedCognito();
const demo = await startBrowserDemo();
const browser = await chromium.launch({
  executablePath: process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
});
try {
  const pool = await createPoolWithUser(cognito);
  const page = await browser.newPage({ viewport: { width: 1200, height: 640 } });
  await page.goto(`${demo.origin}/?${new URLSearchParams({ endpoint: cognito.endpoint, clientId: pool.clientId })}`);
  await page.waitForSelector('body[data-ready="true"]');
  await page.fill('#username', pool.username);
  await page.fill('#password', pool.password);
  await page.click('#sign-in-button');
  await page.waitForSelector('body[data-status="signedIn"]');
  await page.click('#sign-out-global');
  await page.waitForSelector('body[data-last-result]');
  const out = fileURLToPath(new URL('../docs/demo.png', import.meta.url));
  await page.screenshot({ path: out });
  process.stdout.write(`wrote ${out}\n`);
} finally {
  await browser.close();
  await demo.stop();
  await cognito.stop();
}
