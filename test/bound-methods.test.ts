import { describe, expect, it } from 'vitest';
import { createAuth } from '../src/index.js';
import { fakeServices } from './helpers/fakes.js';

/** The methods an app takes off the instance (`const { signOut } = auth`, useSyncExternalStore). */
describe('methods taken off the instance', () => {
  it('work unbound, are the same function at every read, and belong to their own instance', async () => {
    const a = createAuth({ services: fakeServices(), sync: null });
    const b = createAuth({ services: fakeServices(), sync: null });
    const { signIn, getSnapshot, getSession, subscribe, signOut, stop } = a;
    expect(a.signIn).toBe(signIn);
    expect(a.getSnapshot).toBe(getSnapshot);
    expect(b.signIn).not.toBe(signIn);
    await a.ready;
    const states: string[] = [];
    const off = subscribe((s) => states.push(s));
    await signIn({ username: 'alice@example.com', password: 'correct horse' });
    expect(getSnapshot().status).toBe('signedIn');
    expect(getSession()?.username).toBe('alice@example.com');
    expect(b.getSnapshot().status).toBe('signedOut');
    expect((await signOut()).status).toBe('complete');
    off();
    expect(states.at(-1)).toBe('signedOut');
    stop();
    b.stop();
  });

  it('can be replaced on one instance, as a plain property can', () => {
    const auth = createAuth({ services: fakeServices(), sync: null });
    const other = createAuth({ services: fakeServices(), sync: null });
    const wrapped = () => auth.getSnapshot();
    auth.getSnapshot = wrapped;
    expect(auth.getSnapshot).toBe(wrapped);
    expect(Object.keys(auth)).toContain('getSnapshot');
    expect(other.getSnapshot).not.toBe(wrapped);
    auth.stop();
    other.stop();
  });
});
