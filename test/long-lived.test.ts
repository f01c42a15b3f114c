import { describe, expect, it } from 'vitest';
import { createAuth, memoryStorage } from '../src/index.js';
import { fakeServices } from './helpers/fakes.js';

describe('a long-lived instance', () => {
  it('signs in and out 20 times without piling listeners on anything that lives as long as it (no MaxListenersExceededWarning)', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
    process.on('warning', onWarning);
    try {
      const auth = createAuth({ services: fakeServices(), storage: memoryStorage(), sync: null, revocation: 'always' });
      await auth.ready;
      for (let i = 0; i < 20; i++) {
        await auth.signIn({ username: 'alice@example.com', password: 'pw' });
        expect((await auth.signOut()).status).toBe('complete');
      }
      auth.stop();
      await new Promise((r) => setImmediate(r));
      expect(warnings.filter((w) => w.includes('MaxListeners'))).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });
});
