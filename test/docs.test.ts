import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderMachineDoc } from '../tools/diagram.js';
import { renderErrorsDoc } from '../tools/errors-doc.js';

describe('docs/machine.md', () => {
  it('is what `npm run docs:diagram` makes from the current machine (run it after changing the chart)', () => {
    const committed = readFileSync(new URL('../docs/machine.md', import.meta.url), 'utf8');
    expect(committed).toBe(renderMachineDoc());
  });

  it('draws every leaf state of the machine', () => {
    const doc = renderMachineDoc();
    for (const state of [
      'revokingRefreshToken',
      'signingOutGlobally',
      'clearingCache',
      'signingOutOfHostedUI',
      'refreshingTokens',
    ]) {
      expect(doc).toContain(`: ${state}`);
    }
  });
});

describe('docs/errors.md', () => {
  it('is what `npm run docs:errors` makes: one row per AuthErrorCode (run it after adding a code)', () => {
    const committed = readFileSync(new URL('../docs/errors.md', import.meta.url), 'utf8');
    expect(committed).toBe(renderErrorsDoc());
  });
});
