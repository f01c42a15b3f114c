/**
 * docs/errors.md, generated: one row per `AuthErrorCode`. The table is a `Record` over the code
 * type, so a code added to (or removed from) `src/errors.ts` fails the type check until it is
 * documented here; `test/docs.test.ts` fails until the file is regenerated (`npm run docs:errors`).
 * The explanations live here, not in the bundle: runtime messages stay short.
 */
import { writeFileSync } from 'node:fs';
import type { AuthErrorCode } from '../src/errors.js';

type Retry = 'yes' | 'no' | 'after a change';
interface Row {
  means: string;
  retry: Retry;
  show: string;
}

const ROWS: Record<AuthErrorCode, Row> = {
  Offline: {
    means: 'Connectivity says offline: nothing was sent.',
    retry: 'yes',
    show: '"You are offline." A sign-out still signs out locally (`partial`).',
  },
  Network: {
    means: 'The request got no answer (DNS, TLS, reset, or aborted by authchart).',
    retry: 'yes',
    show: '"Could not reach the server; try again."',
  },
  Timeout: {
    means: 'A step did not answer within its bound (`remoteStepMs`, `hostedUIMs`); it was aborted.',
    retry: 'yes',
    show: '"The server is slow; try again."',
  },
  NotAuthorized: {
    means: 'Cognito refused the credentials or token (wrong password, refresh token revoked or expired).',
    retry: 'after a change',
    show: 'Wrong credentials, or "Your session ended; sign in again."',
  },
  RevocationUnsupported: {
    means: 'The app client has token revocation turned off: RevokeToken cannot run.',
    retry: 'no',
    show: 'Nothing to the user; turn revocation on in the app client.',
  },
  Throttled: {
    means: 'Cognito answered 429 or a throttling exception.',
    retry: 'yes',
    show: '"Too many attempts; wait a moment." The outbox retries with back-off.',
  },
  Service: {
    means: 'Cognito answered with an error authchart has no code for (5xx, or an unmapped exception in `serviceName`).',
    retry: 'yes',
    show: '"Something went wrong; try again."',
  },
  StorageFailure: {
    means: 'The token storage threw, or did not answer within `storageMs`.',
    retry: 'yes',
    show: '"Could not save your session." A failed sign-out keeps the user signed in (`failed`).',
  },
  StorageCorrupt: {
    means: 'The token file is not a JSON object: reported once, then it counts as empty.',
    retry: 'no',
    show: '"Please sign in again."',
  },
  AlreadySignedIn: {
    means: '`signIn()` while a user is signed in.',
    retry: 'no',
    show: 'Nothing: sign out first, or use the session.',
  },
  InvalidState: {
    means: 'The call does not fit the state (e.g. a second `signIn()` while one runs).',
    retry: 'no',
    show: 'Nothing: a bug in the calling code.',
  },
  Cancelled: {
    means: 'A later call overtook this one (a sign-out cancels a sign-in), the user cancelled, or `stop()` came first.',
    retry: 'no',
    show: 'Nothing, usually.',
  },
  InvalidToken: {
    means: 'A token failed a check (iss, aud, azp, exp, token_use, nonce, sub): nothing was stored.',
    retry: 'after a change',
    show: '"Please sign in again." Check the pool, region and client id.',
  },
  InvalidInput: {
    means: 'An argument is missing or malformed (e.g. an empty username).',
    retry: 'after a change',
    show: 'A field error.',
  },
  InvalidConfig: {
    means: '`createAuth` or a transport got options that cannot work.',
    retry: 'no',
    show: 'Nothing: fix the configuration.',
  },
  ChallengeRequired: {
    means: 'Cognito asked for a challenge authchart does not handle.',
    retry: 'no',
    show: '"This sign-in method is not supported."',
  },
  GlobalSignOutNotRun: {
    means: 'A global sign-out was asked, but the running sign-out could no longer call GlobalSignOut.',
    retry: 'yes',
    show: 'Offer "Sign out everywhere" again.',
  },
  Expired: {
    means: 'A sign-in challenge or a redirect sign-in expired before it was answered.',
    retry: 'after a change',
    show: '"That took too long; sign in again."',
  },
  CodeMismatch: {
    means: 'A challenge code was wrong.',
    retry: 'after a change',
    show: '"Wrong code." The same challenge can be answered again.',
  },
  InvalidPassword: {
    means: "A new password does not meet the pool's policy.",
    retry: 'after a change',
    show: 'The policy, next to the field.',
  },
  StateMismatch: {
    means: "The hosted-UI redirect's `state` is not the one this app sent (tampered, or another tab's sign-in).",
    retry: 'no',
    show: '"Sign-in failed; try again."',
  },
  HostedUIError: {
    means: 'The hosted UI answered with an OAuth `error` parameter (its name in `serviceName`).',
    retry: 'after a change',
    show: 'Depends on `serviceName` (e.g. `access_denied`: the user declined).',
  },
  UserNotFound: {
    means: 'No such user (only when the pool does not hide it).',
    retry: 'after a change',
    show: 'Treat as wrong credentials.',
  },
  UserNotConfirmed: {
    means: 'The user signed up but has not confirmed.',
    retry: 'after a change',
    show: 'Offer to confirm the account.',
  },
  PasswordResetRequired: {
    means: 'An administrator requires a password reset.',
    retry: 'after a change',
    show: 'Start the forgot-password flow.',
  },
  ExpiredCode: {
    means: 'A confirmation or reset code expired.',
    retry: 'after a change',
    show: 'Offer to send a new code.',
  },
  GlobalSignOutUnsupported: {
    means: 'GlobalSignOut cannot run: the access token lacks the `aws.cognito.signin.user.admin` scope.',
    retry: 'no',
    show: 'Nothing: this device was signed out; add the scope to sign out everywhere.',
  },
  NotSignedIn: {
    means: '`fetchTokens()`, or an `authchart/account` call that needs the user, while no user is signed in.',
    retry: 'after a change',
    show: 'The sign-in screen.',
  },
  UsernameExists: {
    means: '`signUp()`: the pool already has a user with this username (or alias).',
    retry: 'after a change',
    show: '"This account already exists": offer to sign in or reset the password.',
  },
  LimitExceeded: {
    means:
      "An `authchart/account` call was refused for too many attempts (codes, resets, sign-ups): Cognito's LimitExceeded or TooManyFailedAttempts. Retry after a wait.",
    retry: 'yes',
    show: '"Too many attempts; try again later."',
  },
  PasskeyUnsupported: {
    means:
      'A sign-in Cognito answered with a passkey challenge (WEB_AUTHN), or a passkey call, where no passkey support is configured (`createAuth({ passkeys })`) or this browser has no WebAuthn.',
    retry: 'after a change',
    show: '"Passkeys are not available here": offer another way to sign in (a code, the password).',
  },
  PasskeyCancelled: {
    means:
      "The user cancelled the passkey prompt, or the authenticator refused (WebAuthn's NotAllowedError, which also covers a prompt that timed out). The sign-in ended; nothing was stored.",
    retry: 'yes',
    show: '"Passkey sign-in was cancelled": let the user try again or choose another way.',
  },
};

export function renderErrorsDoc(): string {
  const rows = (Object.entries(ROWS) as [AuthErrorCode, Row][]).map(
    ([code, r]) => `| \`${code}\` | ${r.means} | ${r.retry} | ${r.show} |`,
  );
  return [
    '<!-- Generated by `npm run docs:errors` from tools/errors-doc.ts: edit there. -->',
    '# Error codes',
    '',
    'Every failure is an `AuthError` (`isAuthError(e)`) with one of these `code`s. Messages never',
    'contain a token; `serviceName` carries Cognito\'s exception name where there is one. "Retry":',
    'whether the same call may succeed as is (`yes`), only after the user or the app changes',
    'something (`after a change`), or not at all (`no`).',
    '',
    '| Code | What it means | Retry | What the app should show |',
    '| --- | --- | --- | --- |',
    ...rows,
    '',
  ].join('\n');
}

if (process.argv[1]?.endsWith('errors-doc.ts')) {
  writeFileSync(new URL('../docs/errors.md', import.meta.url), renderErrorsDoc());
  console.log('wrote docs/errors.md');
}
