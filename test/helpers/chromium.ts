/** Debian's Chromium for the Playwright tests (never a downloaded browser), launched the way this machine needs. */
import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

export const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
export const haveChromium = existsSync(CHROMIUM);

/** Says once why a suite skips; in CI a missing browser is an error, not a skip. */
export function requireChromium(suite: string): boolean {
  if (!haveChromium && process.env['CI']) throw new Error(`${CHROMIUM} is missing: .ci/run should have installed it`);
  if (!haveChromium) console.info(`[authchart] ${suite} skipped: no ${CHROMIUM} (apt-get install chromium)`);
  return haveChromium;
}

/** Headless, with the background networking that a closed network refuses turned off. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
