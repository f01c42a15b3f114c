/**
 * The browser demo: plain DOM over the subscribable core. Configure with the query string:
 * `?endpoint=http://127.0.0.1:PORT&clientId=...` (printed by `npm run demo:browser`), and
 * `&inspect=1` to open Stately Inspector. A sign-in that meets a challenge (new password, MFA code,
 * MFA choice) shows one field for it and a Confirm button calling `confirmSignIn`.
 */

import { cognitoServices } from '../../src/adapters/cognito/index.js';
import { createAuth, isAuthError, type SignInResult, webStorage } from '../../src/index.js';

const params = new URLSearchParams(location.search);
const clientId = params.get('clientId') ?? '';
const endpoint = params.get('endpoint') ?? undefined;
const userPoolId = params.get('userPoolId') ?? undefined;
const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

type Challenge = Extract<SignInResult, { status: 'challenge' }>;

/** How each challenge asks for its answer. */
const FIELDS: Record<Challenge['challenge'], { label: string; hint: (c: Challenge) => string; secret?: true }> = {
  newPassword: {
    label: 'New password',
    hint: () => 'Your password was set by an administrator: choose a new one.',
    secret: true,
  },
  totpCode: { label: 'Authenticator code', hint: () => 'Enter the 6-digit code from your authenticator app.' },
  smsCode: { label: 'SMS code', hint: (c) => `We sent a code by SMS to ${c.destination ?? 'your phone'}.` },
  emailCode: { label: 'E-mail code', hint: (c) => `We sent a code by e-mail to ${c.destination ?? 'you'}.` },
  selectMfa: { label: 'Second factor', hint: () => 'Choose how to confirm that it is you.' },
};
const MFA_NAMES: Record<string, string> = {
  SOFTWARE_TOKEN_MFA: 'Authenticator app',
  SMS_MFA: 'SMS',
  EMAIL_OTP: 'E-mail',
};

/** `Code: message` for an AuthError, so the user (and the e2e test) sees what to branch on. */
const describeError = (error: unknown) =>
  isAuthError(error) ? `${error.code}: ${error.message}` : error instanceof Error ? error.message : String(error);

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

  /** The challenge the sign-in waits at, while it does. */
  let challenge: Challenge | null = null;
  const answerInput = $<HTMLInputElement>('challenge-answer');
  const choice = $<HTMLSelectElement>('challenge-choice');

  const render = () => {
    const { status, state, session } = auth.getSnapshot();
    if (status !== 'signingIn') challenge = null;
    const waiting = challenge !== null && state.startsWith('signingIn.challenged');
    $('challenge-form').hidden = !waiting;
    $<HTMLButtonElement>('confirm-button').disabled = state !== `signingIn.challenged.${stateOf(challenge)}`;
    if (challenge) document.body.dataset['challenge'] = challenge.challenge;
    else delete document.body.dataset['challenge'];
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

  /** Shows the field for the challenge `result` names, or nothing once signed in. */
  const ask = (result: SignInResult) => {
    challenge = result.status === 'challenge' ? result : null;
    if (challenge) {
      const field = FIELDS[challenge.challenge];
      const selecting = challenge.challenge === 'selectMfa';
      $('challenge-hint').textContent = field.hint(challenge);
      // The hidden text field must not carry the choice's label too.
      $('challenge-answer-label').textContent = selecting ? '' : field.label;
      $('challenge-answer-field').hidden = selecting;
      $('challenge-choice-field').hidden = !selecting;
      answerInput.type = field.secret ? 'password' : 'text';
      answerInput.autocomplete = field.secret ? 'new-password' : 'one-time-code';
      answerInput.inputMode = field.secret ? 'text' : 'numeric';
      answerInput.required = !selecting;
      answerInput.value = '';
      choice.replaceChildren(
        ...(challenge.options ?? []).map((option) => new Option(MFA_NAMES[option] ?? option, option)),
      );
    }
    render();
    if (challenge) (challenge.challenge === 'selectMfa' ? choice : answerInput).focus();
  };

  $('sign-in-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    $('sign-in-error').textContent = '';
    try {
      ask(
        await auth.signIn({
          username: $<HTMLInputElement>('username').value,
          password: $<HTMLInputElement>('password').value,
        }),
      );
    } catch (error) {
      $('sign-in-error').textContent = describeError(error);
    }
  });

  $('challenge-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    $('sign-in-error').textContent = '';
    const answer = challenge?.challenge === 'selectMfa' ? choice.value : answerInput.value;
    try {
      ask(await auth.confirmSignIn(answer));
    } catch (error) {
      // CodeMismatch, InvalidPassword, Network…: the same challenge waits for another try.
      $('sign-in-error').textContent = describeError(error);
      answerInput.value = '';
      render();
      if (!$('challenge-form').hidden) answerInput.focus();
    }
  });
  // Cancelling is a sign-out: the chart drops the challenge and stores nothing.
  $('cancel-challenge').addEventListener('click', () => void auth.signOut());
  // The challenge ran out (`timeouts.challengeMs`): the sign-in is over, say so.
  auth.on('signInFailed', ({ error }) => {
    $('sign-in-error').textContent = describeError(error);
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

/** The chart state that waits for an answer to `challenge`. */
function stateOf(challenge: Challenge | null): string {
  const states: Record<Challenge['challenge'], string> = {
    newPassword: 'newPasswordRequired',
    totpCode: 'totpCodeRequired',
    smsCode: 'smsCodeRequired',
    emailCode: 'emailCodeRequired',
    selectMfa: 'mfaSelectionRequired',
  };
  return challenge ? states[challenge.challenge] : '';
}

void main();
