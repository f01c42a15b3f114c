/**
 * The demo's account flows, from `authchart/account`: sign-up with the e-mailed code and auto
 * sign-in, the forgotten password, and deleting the account (a sign-out path of the chart).
 */

import {
  autoSignIn,
  type CodeDeliveryDetails,
  confirmResetPassword,
  confirmSignUp,
  deleteUser,
  resetPassword,
  signUp,
} from '../../src/account/index.js';
import type { Auth } from '../../src/index.js';

type Lookup = <T extends HTMLElement>(id: string) => T;

const where = (d: CodeDeliveryDetails) => d.destination ?? 'your e-mail address';

/** Wires the account section to `auth`; `describeError` says an error as `Code: message`. */
export function wireAccount(auth: Auth, $: Lookup, describeError: (error: unknown) => string): void {
  const say = (message: string, error = '') => {
    $('account-message').textContent = message;
    $('account-error').textContent = error;
  };
  const value = (id: string) => $<HTMLInputElement>(id).value;
  let signingUp = '';
  let resetting = '';

  $('sign-up-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    say('');
    signingUp = value('sign-up-email');
    try {
      const { nextStep } = await signUp(auth, {
        username: signingUp,
        password: value('sign-up-password'),
        attributes: { email: signingUp },
        autoSignIn: true,
      });
      if (nextStep.signUpStep === 'CONFIRM_SIGN_UP') {
        $('confirm-sign-up-hint').textContent = `We sent a code to ${where(nextStep.codeDeliveryDetails)}.`;
        $('confirm-sign-up-form').hidden = false;
        $<HTMLInputElement>('sign-up-code').focus();
      } else {
        await autoSignIn(auth);
        say('Account created: you are signed in.');
      }
    } catch (error) {
      // UsernameExists, InvalidPassword (the pool's policy), LimitExceeded…
      say('', describeError(error));
    }
  });

  $('confirm-sign-up-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    say('');
    try {
      const { nextStep } = await confirmSignUp(auth, { username: signingUp, confirmationCode: value('sign-up-code') });
      $('confirm-sign-up-form').hidden = true;
      if (nextStep.signUpStep === 'COMPLETE_AUTO_SIGN_IN') await autoSignIn(auth);
      say(auth.getSnapshot().status === 'signedIn' ? 'Account confirmed: you are signed in.' : 'Account confirmed.');
    } catch (error) {
      // CodeMismatch, ExpiredCode: the form stays for another try.
      say('', describeError(error));
      $<HTMLInputElement>('sign-up-code').value = '';
    }
  });

  $('forgot-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    say('');
    resetting = value('forgot-email');
    try {
      const { nextStep } = await resetPassword(auth, { username: resetting });
      $('reset-hint').textContent = `We sent a reset code to ${where(nextStep.codeDeliveryDetails)}.`;
      $('reset-form').hidden = false;
      $<HTMLInputElement>('reset-code').focus();
    } catch (error) {
      say('', describeError(error));
    }
  });

  $('reset-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    say('');
    try {
      await confirmResetPassword(auth, {
        username: resetting,
        confirmationCode: value('reset-code'),
        newPassword: value('reset-password'),
      });
      $('reset-form').hidden = true;
      say('Password changed: sign in with the new one.');
    } catch (error) {
      say('', describeError(error));
    }
  });

  $('delete-account').addEventListener('click', async () => {
    say('');
    try {
      const { cleared } = await deleteUser(auth);
      say(cleared ? 'Account deleted.' : 'Account deleted; this browser finishes clearing at the next start.');
    } catch (error) {
      // Nothing changed: still signed in.
      say('', describeError(error));
    }
  });
  const renderDelete = () => {
    $<HTMLButtonElement>('delete-account').disabled = auth.getSnapshot().status !== 'signedIn';
  };
  auth.subscribe(renderDelete);
  renderDelete();
}
