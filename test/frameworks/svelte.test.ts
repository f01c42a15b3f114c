// @vitest-environment happy-dom
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compile } from 'svelte/compiler';
import { get } from 'svelte/store';
import { describe, expect, it } from 'vitest';
import { authStore } from '../../src/bindings/svelte.js';
import { createAuth } from '../../src/index.js';
import { fakeServices } from '../helpers/fakes.js';

const PANEL = `
<script>
  let { auth, store } = $props();
</script>
<p id="status">{$store.status}</p>
<p id="user">{$store.session?.username ?? 'nobody'}</p>
{#if $store.status === 'signedIn'}<button onclick={() => auth.signOut()}>Sign out</button>{/if}
`;

describe('authchart/svelte authStore', () => {
  it('is a readable store (svelte/store get works on it)', async () => {
    const auth = createAuth({ services: fakeServices(), sync: null });
    await auth.ready;
    const store = authStore(auth);
    expect(get(store).status).toBe('signedOut');
    await auth.signIn({ username: 'alice@example.com', password: 'pw' });
    expect(get(store)).toMatchObject({ status: 'signedIn', session: { username: 'alice@example.com' } });
    auth.stop();
  });

  it('a compiled Svelte 5 component renders it, signs out on click, and re-renders as signed out', async () => {
    const { js } = compile(PANEL, { generate: 'client', filename: 'Panel.svelte' });
    // happy-dom replaces the global URL, so paths are built as strings.
    const dir = join(dirname(fileURLToPath(import.meta.url)), '.generated');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'Panel.js'), js.code);
    const { default: Panel } = await import(/* @vite-ignore */ join(dir, 'Panel.js'));
    // Svelte's client runtime (the "browser" export of `svelte`; vitest resolves the server one in Node).
    const client = '../../node_modules/svelte/src/index-client.js';
    const { mount, unmount, flushSync } = (await import(/* @vite-ignore */ client)) as typeof import('svelte');

    const services = fakeServices();
    const auth = createAuth({ services, sync: null });
    await auth.signIn({ username: 'alice@example.com', password: 'pw' });
    const target = document.createElement('div');
    document.body.append(target);
    const component = mount(Panel, { target, props: { auth, store: authStore(auth) } });
    flushSync();
    expect(target.querySelector('#status')?.textContent).toBe('signedIn');
    expect(target.querySelector('#user')?.textContent).toBe('alice@example.com');
    (target.querySelector('button') as HTMLButtonElement).click();
    await new Promise((r) => setTimeout(r, 10));
    flushSync();
    expect(target.querySelector('#status')?.textContent).toBe('signedOut');
    expect(target.querySelector('#user')?.textContent).toBe('nobody');
    expect(target.querySelector('button')).toBeNull();
    unmount(component);
    auth.stop();
  });
});
