import { fromPromise } from 'xstate';
import type { Credentials, SignInChallenge, Tokens } from '../services/types.js';
import type { ClearOutcome, JournalOutcome } from '../session/clear-plan.js';
import type { Sealed } from '../session/sealed.js';
import type { Session } from '../session/session.js';
import type { RefreshWrite } from '../session/store.js';
import { notProvided, type WithDeps } from './auth.support.js';
import type { ExchangeOutcome, RedirectOutcome, RestoreOutput, SignInOutcome, SignOutScope } from './auth.types.js';
import { outboxMachine } from './outbox.machine.js';

/** The chart's actor slots, typed by input and output; `auth.slots.ts` fills them. */
export const authActors = {
  readSession: fromPromise<RestoreOutput, WithDeps>(notProvided('readSession')),
  signIn: fromPromise<SignInOutcome, WithDeps<{ credentials: Sealed<Credentials> }>>(notProvided('signIn')),
  respondToChallenge: fromPromise<
    SignInOutcome,
    WithDeps<{ challenge: Sealed<SignInChallenge>; answer: Sealed<string> }>
  >(notProvided('respondToChallenge')),
  /** A new sign-in's one write; `superseded`: another session was there, and its refresh token went to the outbox (`dropped`: a full outbox dropped that many older ones). */
  saveSession: fromPromise<
    { superseded: boolean; dropped?: number },
    WithDeps<{ session: Session; revokeIfStopped: { withinMs: number } | null }>
  >(notProvided('saveSession')),
  /** A refresh's write, only over this session's own record. */
  storeRefreshedTokens: fromPromise<RefreshWrite, WithDeps<{ session: Session }>>(notProvided('storeRefreshedTokens')),
  refreshTokens: fromPromise<Session, WithDeps<{ session: Session }>>(notProvided('refreshTokens')),
  hostedUISignOut: fromPromise<void, WithDeps>(notProvided('hostedUISignOut')),
  /** Builds the authorize URL, stores the transaction, opens the URL. */
  startRedirect: fromPromise<RedirectOutcome, WithDeps<{ provider?: string; customState?: string }>>(
    notProvided('startRedirect'),
  ),
  /** Takes the stored transaction and exchanges the redirect's code for tokens. */
  exchangeCode: fromPromise<ExchangeOutcome, WithDeps<{ url: Sealed<string> }>>(notProvided('exchangeCode')),
  globalSignOut: fromPromise<void, WithDeps<{ tokens: Sealed<Tokens> }>>(notProvided('globalSignOut')),
  revokeToken: fromPromise<void, WithDeps<{ tokens: Sealed<Tokens> }>>(notProvided('revokeToken')),
  clearSession: fromPromise<
    /** `dropped`: the outbox was full, and kept this token by dropping that many older ones. */
    /** `gone`: another context had already signed the session out, so nothing was kept here. */
    ClearOutcome,
    WithDeps<{
      sessionId: string | null;
      username: string | null;
      keepForRevocation?: { tokens: Sealed<Tokens>; global: boolean } | null;
      /** A sign-in cancelled or unsaved: its session may never have been stored. */
      neverStored?: boolean;
      /** The session, when this sign-out revoked its tokens (RevokeToken or GlobalSignOut): no outbox copy of them is kept. */
      revoked?: Session | null;
      globally?: boolean;
      /** Refresh tokens earlier rounds of this sign-out revoked. */
      earlier?: Sealed<string[]> | null;
      refused?: Sealed<Tokens> | null;
    }>
  >(notProvided('clearSession')),
  /** Writes the journal, then says what storage holds beside the session held here. */
  writeJournal: fromPromise<
    JournalOutcome<Session>,
    WithDeps<{
      scope: SignOutScope;
      username: string | null;
      sessionId: string | null;
      session: Session | null;
      deleted: boolean;
    }>
  >(notProvided('writeJournal')),
  /** The WebAuthn ceremony of a passkey challenge: the authenticator's assertion (JSON, sealed). */
  passkeyAssertion: fromPromise<Sealed<string>, WithDeps<{ challenge: Sealed<SignInChallenge> }>>(
    notProvided('passkeyAssertion'),
  ),
  /** Cognito's DeleteUser with the session's access token (`authchart/account`'s `deleteUser`). */
  deleteUser: fromPromise<void, WithDeps<{ tokens: Sealed<Tokens> }>>(notProvided('deleteUser')),
  outbox: outboxMachine,
};
