// @vitest-environment happy-dom
import { mount } from '@vue/test-utils';
import { describe, expect, it } from 'vitest';
import { defineComponent, h } from 'vue';
import { useAuth } from '../../src/bindings/vue.js';
import { createAuth } from '../../src/index.js';
import { fakeServices } from '../helpers/fakes.js';

describe('authchart/vue useAuth', () => {
  it('renders the session, signs out on click, and re-renders as signed out', async () => {
    const services = fakeServices();
    const auth = createAuth({ services, sync: null });
    await auth.signIn({ username: 'alice@example.com', password: 'pw' });
    const Panel = defineComponent({
      setup() {
        // biome-ignore lint/correctness/useHookAtTopLevel: a Vue composable inside setup(), not a React hook
        const auth$ = useAuth(auth);
        return () =>
          h('div', [
            h('p', { id: 'status' }, auth$.value.status),
            h('p', { id: 'user' }, auth$.value.session?.username ?? 'nobody'),
            auth$.value.status === 'signedIn' ? h('button', { onClick: () => auth.signOut() }, 'Sign out') : null,
          ]);
      },
    });
    const wrapper = mount(Panel);
    expect(wrapper.get('#status').text()).toBe('signedIn');
    expect(wrapper.get('#user').text()).toBe('alice@example.com');
    await wrapper.get('button').trigger('click');
    await new Promise((r) => setTimeout(r, 10));
    expect(wrapper.get('#status').text()).toBe('signedOut');
    expect(wrapper.get('#user').text()).toBe('nobody');
    expect(wrapper.find('button').exists()).toBe(false);
    wrapper.unmount();
    auth.stop();
  });
});
