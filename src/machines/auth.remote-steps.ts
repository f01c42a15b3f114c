import { AuthError } from '../errors.js';
import type { AuthStateConfig } from './auth.setup.js';
import {
  failed,
  type RemoteStep,
  recordFailed,
  recordTimedOut,
  requireSession,
  SKIP_THE_REST,
  stepDone,
} from './auth.support.js';

const refreshRefused = ({ event }: { event: { error?: unknown } }) => ({
  error: new AuthError('NotAuthorized', 'GlobalSignOut not run: access token expired, refresh refused', {
    cause: event.error,
  }),
});

/** No answer (a network failure): the remote steps still planned are skipped, and the clear goes on. */
const noAnswer = <S extends RemoteStep>(step: S, what: string) =>
  ({
    guard: { type: 'isNetworkError', params: failed(what) },
    target: 'clearingCache',
    actions: [recordFailed(step, what), SKIP_THE_REST],
  }) as const;

/** The step's bound (`remoteStepMs`) passed: as for no answer (docs/sign-out.md, row 5). */
const boundPassed = <S extends RemoteStep>(step: S, what: string) =>
  ({
    remoteStepTimeout: { target: 'clearingCache', actions: [recordTimedOut(step, what), SKIP_THE_REST] },
  }) as const;

/**
 * Cognito answered with a refusal (NotAuthorized, 5xx): this device's refresh token may still live,
 * so it is revoked where the sign-out revokes (`shouldRevoke`); else the clear goes on.
 */
const refused = <A>(actions: A) =>
  [
    { guard: 'shouldRevoke', target: 'revokingRefreshToken', actions },
    { target: 'clearingCache', actions },
  ] as const;

/** A remote step's input: the session's tokens (GlobalSignOut, RevokeToken, DeleteUser). */
export const withTokens = ({ context }: { context: Parameters<typeof requireSession>[0] & { deps: unknown } }) => ({
  deps: context.deps,
  tokens: requireSession(context).tokens,
});

/**
 * The remote steps of a sign-out, children of `signingOut`: the refresh an expired access token
 * needs before GlobalSignOut, GlobalSignOut, and RevokeToken. Each is bounded by `remoteStepMs`;
 * every way out leads to `clearingCache`.
 */
export const remoteSteps = {
  /** GlobalSignOut refuses an expired access token: refresh once first (the new tokens are not stored). */
  refreshingForGlobalSignOut: {
    invoke: {
      id: 'refreshBeforeGlobalSignOut',
      src: 'refreshTokens',
      input: ({ context }) => ({ deps: context.deps, session: requireSession(context) }),
      onDone: {
        target: 'signingOutGlobally',
        actions: { type: 'assignSession', params: ({ event }) => ({ session: event.output }) },
      },
      // Refused (the refresh token is dead): GlobalSignOut cannot run; revoke what this device holds.
      onError: [
        noAnswer('globalSignOut', 'The refresh before GlobalSignOut'),
        ...refused({ type: 'skipGlobalSignOut', params: refreshRefused } as const),
      ],
    },
    after: boundPassed('globalSignOut', 'The refresh before GlobalSignOut'),
  },
  /** GlobalSignOut kills every refresh token of the user, so success makes RevokeToken redundant. */
  signingOutGlobally: {
    invoke: {
      id: 'globalSignOut',
      src: 'globalSignOut',
      input: withTokens,
      onDone: stepDone('globalSignOut', 'clearingCache'),
      onError: [noAnswer('globalSignOut', 'GlobalSignOut'), ...refused(recordFailed('globalSignOut', 'GlobalSignOut'))],
    },
    after: boundPassed('globalSignOut', 'GlobalSignOut'),
  },
  revokingRefreshToken: {
    invoke: {
      id: 'revokeToken',
      src: 'revokeToken',
      input: withTokens,
      onDone: stepDone('revokeToken', 'clearingCache'),
      onError: { target: 'clearingCache', actions: recordFailed('revokeToken', 'RevokeToken') },
    },
    after: {
      remoteStepTimeout: { target: 'clearingCache', actions: recordTimedOut('revokeToken', 'RevokeToken') },
    },
  },
} satisfies Record<string, AuthStateConfig>;
