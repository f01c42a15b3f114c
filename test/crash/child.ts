/**
 * A process that signs in on fileStorage and signs out, printing a marker at each point a crash
 * can hit. At the marker named by KILL_AT it stops making progress, so the parent can SIGKILL it
 * exactly there. With MODE=restart it starts on the same file and reports what it finds.
 */

import { fileStorage } from '../../src/bindings/node.js';
import { AuthError, type AuthServices, createAuth } from '../../src/index.js';
import { makeTokens } from '../helpers/tokens.js';

const { MODE, FILE, KILL_AT = '', SCOPE = 'local', GLOBAL_FAILS = '' } = process.env as Record<string, string>;
const hang = () => new Promise<never>(() => {});
const mark = async (point: string) => {
  process.stdout.write(`${point}\n`);
  if (point === KILL_AT) await hang();
};

const tokens = makeTokens({ revocable: true });
if (!FILE) throw new Error('FILE is required');
const storage = fileStorage(FILE);
const services: AuthServices = {
  clientId: 'client123',
  signIn: async () => tokens,
  refresh: async () => ({}),
  globalSignOut: async () => {
    await mark('in-global');
    if (GLOBAL_FAILS) throw new AuthError('Service', 'HTTP 500');
  },
  revokeToken: async () => {
    await mark('in-revoke');
  },
};

if (MODE === 'signout') {
  const crashing = {
    getItem: (k: string) => storage.getItem(k),
    setItem: async (k: string, v: string) => {
      await storage.setItem(k, v);
      if (k.endsWith('.signOutJournal')) await mark('journal-written');
    },
    removeItem: async (k: string) => {
      await mark(`removing:${k.split('.').at(-1)}`);
      await storage.removeItem(k);
    },
  };
  const auth = createAuth({ services, storage: crashing, timeouts: { remoteStepMs: 60_000 }, sync: null });
  await auth.signIn({ username: 'alice@example.com', password: 'pw' });
  await mark('signed-in');
  await auth.signOut({ global: SCOPE === 'global' });
  await mark('signed-out');
  process.exit(0);
} else {
  const auth = createAuth({ services, storage, sync: null });
  await auth.ready;
  for (let i = 0; i < 100 && !['signedOut', 'signedIn.waitingToRefresh'].includes(auth.state); i++) {
    await new Promise((r) => setTimeout(r, 10));
  }
  const keys = (await storage.keys()).filter((k) => k.startsWith('authchart.'));
  process.stdout.write(`${JSON.stringify({ state: auth.state, keys })}\n`);
  process.exit(0);
}
