/**
 * The browser demo: plain DOM over the subscribable core. Configure with the query string:
 * `?endpoint=http://127.0.0.1:PORT&clientId=...` (printed by `npm run demo:browser`), and
 * `&inspect=1` to open Stately Inspector.
 */

import { cognitoServices } from '../../src/adapters/cognito/index.js';
import { createAuth, webStorage } from '../../src/index.js';

const params = new URLSearchParams(location.search);
const clientId = params.get('clientId') ?? '';
const endpoint = params.get('endpoint') ?? undefined;
const userPoolId = params.get('userPoolId') ?? undefined;
const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

async function main() {
  const inspect =
    params.get('inspect') === '1' ? (await import('@statelyai/inspect')).createBrowserInspector().inspect : undefined;
  const auth = createAuth({
    services: cognitoServices({
      clientId,
      region: params.get('region') ?? 'local',
      ...(endpoint ? { endpoint } : {}),
      // SRP when a pool id is given (a real pool); cognito-local only has USER_PASSWORD_AUTH.
      ...(userPoolId ? { userPoolId } : { authFlow: 'USER_PASSWORD_AUTH' as const }),
    }),
    storage: webStorage(localStorage),
    // cognito-local emits no origin_jti, so "auto" would never revoke; a real pool can use the default.
    revocation: params.get('revocation') === 'auto' ? 'auto' : 'always',
    timeouts: { remoteStepMs: Number(params.get('remoteStepMs') ?? 5000) },
    ...(inspect ? { inspect } : {}),
  });
  (window as unknown as { auth: typeof auth }).auth = auth;

  const render = () => {
    const { status, state, session } = auth.getSnapshot();
    $('state').textContent = state;
    $('user').textContent = session ? (session.email ?? session.username) : '—';
    document.body.dataset['status'] = status;
    $<HTMLButtonElement>('sign-out').disabled = status !== 'signedIn';
    $<HTMLButtonElement>('sign-out-global').disabled = status !== 'signedIn';
    $<HTMLButtonElement>('sign-in-button').disabled = status !== 'signedOut';
  };
  auth.subscribe(render);
  render();

  const renderNetwork = () => {
    $('network').textContent = navigator.onLine ? 'online' : 'offline';
    $('network').classList.toggle('offline', !navigator.onLine);
  };
  addEventListener('online', renderNetwork);
  addEventListener('offline', renderNetwork);
  renderNetwork();

  $('sign-in-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    $('sign-in-error').textContent = '';
    try {
      await auth.signIn({
        username: $<HTMLInputElement>('username').value,
        password: $<HTMLInputElement>('password').value,
      });
    } catch (error) {
      $('sign-in-error').textContent = error instanceof Error ? error.message : String(error);
    }
  });

  const signOut = async (global: boolean) => {
    const result = await auth.signOut({ global });
    $('result').textContent = JSON.stringify(result, null, 2);
    document.body.dataset['lastResult'] = result.status;
  };
  $('sign-out').addEventListener('click', () => void signOut(false));
  $('sign-out-global').addEventListener('click', () => void signOut(true));
  await auth.ready;
  document.body.dataset['ready'] = 'true';
}

void main();
