/**
 * The demo's passkeys: "Register a passkey" while signed in (`registerPasskey` from
 * `authchart/account`, then `listPasskeys` to say how many the account has), and "Sign in with a
 * passkey" for the e-mail typed in the sign-in form (`preferredChallenge: 'WEB_AUTHN'`: the chart
 * runs the browser's prompt itself and the call resolves once signed in). A sign-out during the
 * prompt cancels it: the sign-in rejects `Cancelled`. Needs an endpoint that speaks USER_AUTH and
 * the passkey calls (real Cognito, or the e2e test's endpoint: cognito-local has neither).
 */

import { listPasskeys, registerPasskey } from '../../src/account/index.js';
import { type Auth, isAuthError, type SignInResult } from '../../src/index.js';

type Lookup = <T extends HTMLElement>(id: string) => T;

/**
 * Wires the passkey buttons to `auth`; `describeError` says an error as `Code: message`, `ask`
 * shows what a sign-in answered (a choice of factors when the user has no passkey here).
 */
export function wirePasskeys(
  auth: Auth,
  $: Lookup,
  describeError: (error: unknown) => string,
  ask: (result: SignInResult) => void,
): void {
  const say = (message: string, error = '') => {
    $('passkey-message').textContent = message;
    $('passkey-error').textContent = error;
  };
  /** What the last passkey action came to, for the e2e test: `pending`, `signedIn`, an error code… */
  const mark = (name: 'passkeySignIn' | 'passkeyRegistration', value: string) => {
    document.body.dataset[name] = value;
  };
  const codeOf = (error: unknown) => (isAuthError(error) ? error.code : 'failed');

  $('passkey-sign-in').addEventListener('click', async () => {
    $('sign-in-error').textContent = '';
    mark('passkeySignIn', 'pending');
    try {
      const result = await auth.signIn({
        username: $<HTMLInputElement>('username').value,
        preferredChallenge: 'WEB_AUTHN',
      });
      ask(result);
      mark('passkeySignIn', result.status === 'challenge' ? result.challenge : result.status);
    } catch (error) {
      // PasskeyCancelled (the prompt refused), NotAuthorized (an assertion the server refused),
      // Cancelled (a sign-out during the prompt), PasskeyUnsupported (no WebAuthn here)…
      $('sign-in-error').textContent = describeError(error);
      mark('passkeySignIn', codeOf(error));
    }
  });

  $('register-passkey').addEventListener('click', async () => {
    say('');
    mark('passkeyRegistration', 'pending');
    try {
      await registerPasskey(auth);
      const count = (await listPasskeys(auth)).length;
      say(`Passkey registered: this account has ${count} passkey${count === 1 ? '' : 's'}.`);
      mark('passkeyRegistration', 'registered');
    } catch (error) {
      // PasskeyCancelled, PasskeyUnsupported, NotSignedIn, WebAuthnClientMismatch…: nothing registered.
      say('', describeError(error));
      mark('passkeyRegistration', codeOf(error));
    }
  });

  // "Sign in with a passkey" is enabled with the other sign-in buttons (main.ts's render).
  const render = () => {
    $<HTMLButtonElement>('register-passkey').disabled = auth.getSnapshot().status !== 'signedIn';
  };
  auth.subscribe(render);
  render();
}
