/**
 * A process on fileStorage that signs in, refreshes and signs out, printing `<n> <phase> <point>`
 * at every point a crash can hit: each storage call (before and after), each service call, and
 * inside fileStorage's write, after the temp file is synced and before it is renamed over the file
 * (fs.rename is wrapped). At point number KILL_AT_INDEX it stops making progress, so the parent can
 * SIGKILL it exactly there.
 *
 * MODE=cycle         CYCLES × (sign in, REFRESHES refreshes, sign out)
 * MODE=restart       start on the same file, signOut() once, print {state, status, keys}
 * MODE=loop-auth     CYCLES × (sign in, sign out); checks through a second handle that each landed
 * MODE=loop-writer   WRITES writes of `other.<i>` through its own handle, as fast as it can
 */
import fs from 'node:fs';
import { resolve } from 'node:path';
import { fileStorage } from '../../src/bindings/node.js';
import { type AuthServices, createAuth, type TokenStorage } from '../../src/index.js';
import { makeTokens } from '../helpers/tokens.js';

const env = process.env as Record<string, string | undefined>;
const { MODE = 'cycle', FILE = '' } = env;
const KILL_AT_INDEX = Number(env.KILL_AT_INDEX ?? 0);
const CYCLES = Number(env.CYCLES ?? 2);
const REFRESHES = Number(env.REFRESHES ?? 1);
if (!FILE) throw new Error('FILE is required');

let index = 0;
let phase = 'start';
const hang = () => new Promise<never>(() => {});
/** Prints the point; true when the process must stop here. */
function mark(point: string): boolean {
  process.stdout.write(`${++index} ${phase} ${point}\n`);
  return index === KILL_AT_INDEX;
}
const checkpoint = async (point: string) => {
  if (mark(point)) await hang();
};

// fileStorage calls fs.promises.rename(temp, file) once the temp file holds the new content.
const target = resolve(FILE);
const realRename = fs.promises.rename;
const rename = (from: fs.PathLike, to: fs.PathLike): Promise<void> => {
  if (String(to) === target && mark('rename-temp')) return hang(); // never settles: the temp file stays
  return realRename(from, to);
};
Object.assign(fs.promises, { rename });

const storage = fileStorage(FILE, { staleLockMs: 2000 });
const short = (key: string) => key.split('.').slice(2).join('.') || key;
const crashing: TokenStorage = {
  getItem: (key) => storage.getItem(key),
  setItem: async (key, value) => {
    await checkpoint(`before-set ${short(key)}`);
    await storage.setItem(key, value);
    await checkpoint(`after-set ${short(key)}`);
  },
  removeItem: async (key) => {
    await checkpoint(`before-remove ${short(key)}`);
    await storage.removeItem(key);
    await checkpoint(`after-remove ${short(key)}`);
  },
};

// Tokens that live 2 s are refreshed after 1 s; every REFRESHES-th refresh answers long-lived ones.
const dueSoon = () => makeTokens({ revocable: true, expiresIn: 2 });
let refreshes = 0;
const services: AuthServices = {
  clientId: 'client123',
  signIn: async () => {
    await checkpoint('svc-signIn');
    return MODE === 'cycle' ? dueSoon() : makeTokens({ revocable: true });
  },
  refresh: async () => {
    await checkpoint('svc-refresh');
    return ++refreshes % REFRESHES === 0 ? makeTokens({ revocable: true }) : dueSoon();
  },
  globalSignOut: async () => {},
  revokeToken: async () => {
    await checkpoint('svc-revoke');
  },
};
const timeouts = { remoteStepMs: 60_000 };
const print = (value: unknown) => process.stdout.write(`${JSON.stringify(value)}\n`);

if (MODE === 'cycle') {
  setInterval(() => undefined, 1000); // the refresh timer is unref'd: keep the process alive for it
  const auth = createAuth({ services, storage: crashing, timeouts, sync: null });
  await auth.ready;
  for (let c = 0; c < CYCLES; c++) {
    phase = 'sign-in';
    const refreshed = new Promise<void>((done) => {
      let seen = 0;
      const off = auth.on('tokensRefreshed', () => {
        if (++seen < REFRESHES) return;
        off();
        done();
      });
    });
    await auth.signIn({ username: 'alice@example.com', password: 'pw' });
    phase = 'refresh';
    await refreshed;
    phase = 'sign-out';
    await auth.signOut();
  }
  phase = 'end';
  print({ done: true });
} else if (MODE === 'restart') {
  const auth = createAuth({ services, storage, timeouts, sync: null });
  await auth.ready;
  const result = await auth.signOut();
  // An orderly exit: stop, then wait for the storage lock, so that no section the sign-out started
  // (an outbox drain) still holds it when the process ends; a kill is what leaves a lock behind.
  auth.stop();
  await storage.lock?.('authchart.client123', async () => undefined);
  const keys = (await storage.keys()).filter((k) => k.startsWith('authchart.'));
  print({ state: auth.state, status: result.status, keys });
} else if (MODE === 'loop-auth') {
  const auth = createAuth({ services, storage, timeouts, sync: null });
  const observer = fileStorage(FILE);
  const ours = async () => (await observer.keys()).filter((k) => k.startsWith('authchart.')).length;
  let lost = 0;
  const started = Date.now();
  await auth.ready;
  for (let c = 0; c < CYCLES; c++) {
    await auth.signIn({ username: 'alice@example.com', password: 'pw' });
    if ((await ours()) === 0) lost++;
    await auth.signOut();
    if ((await ours()) !== 0) lost++;
  }
  print({ started, ended: Date.now(), lost });
} else if (MODE === 'loop-writer') {
  const started = Date.now();
  for (let i = 0; i < Number(env.WRITES ?? 100); i++) await storage.setItem(`other.${i}`, `value-${i}`);
  print({ started, ended: Date.now() });
}
process.exit(0);
