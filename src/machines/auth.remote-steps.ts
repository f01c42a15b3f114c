import { AuthError } from '../errors.js';
import type { AuthStateConfig } from './auth.setup.js';
import { failed, recordFailed, recordTimedOut, requireSession, SKIP_THE_REST } from './auth.support.js';

const refreshRefused = (cause: unknown) => ({
  error: new AuthError('NotAuthorized', 'GlobalSignOut not run: access token expired, refresh refused', {
    cause,
  }),
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
      onError: [
        {
          guard: { type: 'isNetworkError', params: failed('The refresh before GlobalSignOut') },
          target: 'clearingCache',
          actions: [recordFailed('globalSignOut', 'The refresh before GlobalSignOut'), SKIP_THE_REST],
        },
        // Refused (the refresh token is dead): GlobalSignOut cannot run; revoke what this device holds.
        {
          guard: 'shouldRevoke',
          target: 'revokingRefreshToken',
          actions: { type: 'skipGlobalSignOut', params: ({ event }) => refreshRefused(event.error) },
        },
        {
          target: 'clearingCache',
          actions: { type: 'skipGlobalSignOut', params: ({ event }) => refreshRefused(event.error) },
        },
      ],
    },
    after: {
      remoteStepTimeout: {
        target: 'clearingCache',
        actions: [recordTimedOut('globalSignOut', 'The refresh before GlobalSignOut'), SKIP_THE_REST],
      },
    },
  },
  /** GlobalSignOut kills every refresh token of the user, so success makes RevokeToken redundant. */
  signingOutGlobally: {
    invoke: {
      id: 'globalSignOut',
      src: 'globalSignOut',
      input: ({ context }) => ({ deps: context.deps, tokens: requireSession(context).tokens }),
      onDone: {
        target: 'clearingCache',
        actions: { type: 'markStepDone', params: { step: 'globalSignOut' } },
      },
      onError: [
        {
          guard: { type: 'isNetworkError', params: failed('GlobalSignOut') },
          target: 'clearingCache',
          actions: [recordFailed('globalSignOut', 'GlobalSignOut'), SKIP_THE_REST],
        },
        // A service answer (e.g. NotAuthorized, 5xx): this device's refresh token may still live.
        {
          guard: 'shouldRevoke',
          target: 'revokingRefreshToken',
          actions: recordFailed('globalSignOut', 'GlobalSignOut'),
        },
        {
          target: 'clearingCache',
          actions: recordFailed('globalSignOut', 'GlobalSignOut'),
        },
      ],
    },
    after: {
      remoteStepTimeout: {
        target: 'clearingCache',
        actions: [recordTimedOut('globalSignOut', 'GlobalSignOut'), SKIP_THE_REST],
      },
    },
  },
  revokingRefreshToken: {
    invoke: {
      id: 'revokeToken',
      src: 'revokeToken',
      input: ({ context }) => ({ deps: context.deps, tokens: requireSession(context).tokens }),
      onDone: {
        target: 'clearingCache',
        actions: { type: 'markStepDone', params: { step: 'revokeToken' } },
      },
      onError: {
        target: 'clearingCache',
        actions: recordFailed('revokeToken', 'RevokeToken'),
      },
    },
    after: {
      remoteStepTimeout: {
        target: 'clearingCache',
        actions: recordTimedOut('revokeToken', 'RevokeToken'),
      },
    },
  },
} satisfies Record<string, AuthStateConfig>;
