import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderApiReport } from '../tools/api-report.js';

describe('api/authchart.api.md', () => {
  it('is the public API as it is: every export of every entry point (run `npm run api:report` after changing it, and review the diff)', () => {
    const committed = readFileSync(new URL('../api/authchart.api.md', import.meta.url), 'utf8');
    expect(committed).toBe(renderApiReport());
  }, 60_000);
});
