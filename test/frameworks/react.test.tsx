// @vitest-environment happy-dom
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { useAuth } from '../../src/bindings/react.js';
import { type Auth, createAuth } from '../../src/index.js';
import { fakeServices } from '../helpers/fakes.js';

function SessionPanel({ auth }: { auth: Auth }) {
  const { status, state, session } = useAuth(auth);
  return (
    <div>
      <p data-testid="status">{status}</p>
      <p data-testid="state">{state}</p>
      <p data-testid="user">{session?.username ?? 'nobody'}</p>
      {status === 'signedIn' && (
        <button type="button" onClick={() => void auth.signOut()}>
          Sign out
        </button>
      )}
    </div>
  );
}

afterEach(cleanup);

describe('authchart/react useAuth', () => {
  it('renders the session, signs out on click, and re-renders as signed out', async () => {
    const services = fakeServices();
    const auth = createAuth({ services, sync: null });
    await auth.ready;
    render(<SessionPanel auth={auth} />);
    expect(screen.getByTestId('status').textContent).toBe('signedOut');

    await act(() => auth.signIn({ username: 'alice@example.com', password: 'pw' }));
    expect(screen.getByTestId('status').textContent).toBe('signedIn');
    expect(screen.getByTestId('user').textContent).toBe('alice@example.com');

    await act(async () => {
      fireEvent.click(screen.getByRole('button', { name: 'Sign out' }));
      await new Promise((r) => setTimeout(r, 10));
    });
    expect(screen.getByTestId('status').textContent).toBe('signedOut');
    expect(screen.getByTestId('user').textContent).toBe('nobody');
    expect(screen.queryByRole('button')).toBeNull();
    expect(services.calls.revokeToken).toHaveLength(1);
    auth.stop();
  });

  it('getSnapshot is stable between changes (useSyncExternalStore contract)', async () => {
    const auth = createAuth({ services: fakeServices(), sync: null });
    await auth.ready;
    expect(auth.getSnapshot()).toBe(auth.getSnapshot());
    const before = auth.getSnapshot();
    await auth.signIn({ username: 'alice@example.com', password: 'pw' });
    expect(auth.getSnapshot()).not.toBe(before);
    expect(Object.isFrozen(auth.getSnapshot())).toBe(true);
    auth.stop();
  });
});
