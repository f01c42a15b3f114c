/**
 * The browser demo: plain DOM over the subscribable core. Configure with the query string:
 * `?endpoint=http://127.0.0.1:PORT&clientId=...` (printed by `npm run demo:browser`), and
 * `&inspect=1` to open Stately Inspector. A sign-in that meets a challenge (new password, MFA code,
 * MFA choice) shows one field for it and a Confirm button calling `confirmSignIn`.
 * `&hostedDomain=…&hostedClientId=…` add "Sign in with the hosted UI" (see hosted.ts). Passkeys
 * (passkeys.ts) need a page on `http://localhost:…` or HTTPS (WebAuthn's secure context) and an
 * endpoint with USER_AUTH and the passkey calls.
 */

import { cognitoServices } from '../../src/adapters/cognito/index.js';
import { browserPasskeys } from '../../src/adapters/passkeys.js';
import { type Auth, createAuth, isAuthError, type SignInResult, webStorage } from '../../src/index.js';
import { wireAccount } from './account.js';
import { carriesRedirect, createHostedAuth, demoParams, homeUrl, lastResult } from './hosted.js';
import { wirePasskeys } from './passkeys.js';

const params = demoParams();
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
  selectChallenge: { label: 'Sign in with', hint: () => 'Choose how to sign in.' },
  password: { label: 'Password', hint: () => 'Enter your password.', secret: true },
  // Never shown: the passkey prompt is the browser's own.
  passkey: { label: 'Passkey', hint: () => 'Follow your browser’s passkey prompt.' },
};
const MFA_NAMES: Record<string, string> = {
  SOFTWARE_TOKEN_MFA: 'Authenticator app',
  SMS_MFA: 'SMS',
  EMAIL_OTP: 'E-mail',
  // USER_AUTH's first factors.
  PASSWORD: 'Password',
  PASSWORD_SRP: 'Password',
  SMS_OTP: 'Code by SMS',
  WEB_AUTHN: 'Passkey',
};

/** `Code: message` for an AuthError, so the user (and the e2e test) sees what to branch on. */
const describeError = (error: unknown) =>
  isAuthError(error) ? `${error.code}: ${error.message}` : error instanceof Error ? error.message : String(error);

async function main() {
  const inspect =
    params.get('inspect') === '1' ? (await import('@statelyai/inspect')).createBrowserInspector().inspect : undefined;
  const remoteStepMs = Number(params.get('remoteStepMs') ?? 5000);
  const auth = createAuth({
    services: cognitoServices({
      clientId,
      region: params.get('region') ?? 'local',
      ...(endpoint ? { endpoint } : {}),
      // SRP when a pool id is given (a real pool); cognito-local only has USER_PASSWORD_AUTH.
      ...(userPoolId ? { userPoolId } : { authFlow: 'USER_PASSWORD_AUTH' as const }),
    }),
    storage: webStorage(localStorage),
    passkeys: browserPasskeys(),
    // cognito-local emits no origin_jti, so "auto" would never revoke; a real pool can use the default.
    revocation: params.get('revocation') === 'auto' ? 'auto' : 'always',
    timeouts: { remoteStepMs },
    ...(inspect ? { inspect } : {}),
  });
  const hosted = createHostedAuth(params, { timeouts: { remoteStepMs }, ...(inspect ? { inspect } : {}) });
  Object.assign(window, { auth, hostedAuth: hosted });
  $('hosted-sign-in').hidden = hosted === null;

  // Back from the hosted UI: hand the URL over (callable before `ready`), then clean it at once, so
  // neither a reload nor the history can bring the code back. /signed-out is cleaned the same way.
  const arrived = location.href;
  const redirect = hosted && carriesRedirect(arrived) ? hosted.handleRedirect(arrived) : null;
  if (location.pathname !== '/' || redirect) history.replaceState(null, '', homeUrl(params));

  /** The instance the session section shows: the hosted-UI one while it has (or gets) a session. */
  const active = (): Auth =>
    hosted && hosted.getSnapshot().status !== 'signedOut' && auth.getSnapshot().status === 'signedOut' ? hosted : auth;

  /** The challenge the sign-in waits at, while it does. */
  let challenge: Challenge | null = null;
  const answerInput = $<HTMLInputElement>('challenge-answer');
  const choice = $<HTMLSelectElement>('challenge-choice');

  const render = () => {
    const { status, state, session } = active().getSnapshot();
    const bothSignedOut =
      auth.getSnapshot().status === 'signedOut' && (hosted?.getSnapshot().status ?? 'signedOut') === 'signedOut';
    if (status !== 'signingIn') challenge = null;
    const waiting = challenge !== null && state.startsWith('signingIn.challenged');
    $('challenge-form').hidden = !waiting;
    $<HTMLButtonElement>('confirm-button').disabled = state !== `signingIn.challenged.${stateOf(challenge)}`;
    if (challenge) document.body.dataset['challenge'] = challenge.challenge;
    else delete document.body.dataset['challenge'];
    $('state').textContent = state;
    $('user').textContent = session ? (session.email ?? session.username) : '—';
    $('signed-in-with').textContent = session?.signedInWith ?? '—';
    document.body.dataset['status'] = status;
    // A sign-out during the passkey prompt cancels it (the sign-in rejects Cancelled).
    $<HTMLButtonElement>('sign-out').disabled = status !== 'signedIn' && state !== 'signingIn.challenged.passkey';
    $<HTMLButtonElement>('sign-out-global').disabled = status !== 'signedIn';
    $<HTMLButtonElement>('sign-in-button').disabled = !bothSignedOut;
    $<HTMLButtonElement>('hosted-sign-in').disabled = !bothSignedOut;
    $<HTMLButtonElement>('passkey-sign-in').disabled = !bothSignedOut;
  };
  auth.subscribe(render);
  hosted?.subscribe(render);
  render();
  wireAccount(auth, $, describeError);

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
      const selecting = choosing(challenge);
      $('challenge-hint').textContent = field.hint(challenge);
      // The hidden text field must not carry the choice's label too.
      $('challenge-answer-label').textContent = selecting ? '' : field.label;
      $('challenge-choice-label').textContent = selecting ? field.label : '';
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
    if (challenge) (choosing(challenge) ? choice : answerInput).focus();
  };

  wirePasskeys(auth, $, describeError, ask);

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
    const answer = challenge && choosing(challenge) ? choice.value : answerInput.value;
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

  $('hosted-sign-in').addEventListener('click', async () => {
    $('sign-in-error').textContent = '';
    try {
      // In a browser the page leaves for the hosted UI here; the answer is `redirecting`.
      await hosted?.signInWithRedirect({ customState: 'from-the-demo' });
    } catch (error) {
      $('sign-in-error').textContent = describeError(error);
    }
  });

  const showResult = (json: string, status: string) => {
    $('result').textContent = json;
    document.body.dataset['lastResult'] = status;
  };
  const kept = lastResult.take();
  if (kept) showResult(kept, (JSON.parse(kept) as { status: string }).status);

  const signOut = async (global: boolean) => {
    const signingOut = active();
    const result = await signingOut.signOut({ global });
    const json = JSON.stringify(result, null, 2);
    // A hosted-UI sign-out ends with the page leaving for /logout: the page that comes back shows it.
    if (signingOut === hosted && result.steps.hostedUISignOut === 'done') lastResult.keep(json);
    showResult(json, result.status);
  };
  $('sign-out').addEventListener('click', () => void signOut(false));
  $('sign-out-global').addEventListener('click', () => void signOut(true));
  redirect?.then(
    (result) => {
      document.body.dataset['redirect'] = result.status;
      if (result.status === 'signedIn' && result.customState) document.body.dataset['customState'] = result.customState;
    },
    (error: unknown) => {
      // StateMismatch, Cancelled, HostedUIError, NotAuthorized…: nothing was stored.
      $('sign-in-error').textContent = describeError(error);
      document.body.dataset['redirect'] = isAuthError(error) ? error.code : 'failed';
    },
  );
  await Promise.all([auth.ready, hosted?.ready]);
  document.body.dataset['ready'] = 'true';
}

/** A challenge answered by choosing one of its options (a second factor, USER_AUTH's first factor). */
const choosing = (challenge: Challenge) =>
  challenge.challenge === 'selectMfa' || challenge.challenge === 'selectChallenge';

/** The chart state that waits for an answer to `challenge`. */
function stateOf(challenge: Challenge | null): string {
  const states: Record<Challenge['challenge'], string> = {
    newPassword: 'newPasswordRequired',
    totpCode: 'totpCodeRequired',
    smsCode: 'smsCodeRequired',
    emailCode: 'emailCodeRequired',
    selectMfa: 'mfaSelectionRequired',
    selectChallenge: 'challengeSelectionRequired',
    password: 'passwordRequired',
    passkey: 'passkey',
  };
  return challenge ? states[challenge.challenge] : '';
}

void main();
