import { AuthError } from '../errors.js';
import { type AuthStateConfig, failed, requireSession, timedOut } from './auth.setup.js';

const refreshRefused = (cause: unknown) => ({
  error: new AuthError(
    'NotAuthorized',
    'GlobalSignOut could not run: the access token had expired and the refresh before it was refused',
    { cause },
  ),
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
          actions: [
            {
              type: 'recordStepError',
              params: ({ event }) => ({
                step: 'globalSignOut' as const,
                ...failed('The refresh before GlobalSignOut')({ event }),
              }),
            },
            { type: 'skipRemainingRemoteSteps', params: { reason: 'Network' } },
          ],
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
        actions: [
          {
            type: 'recordStepError',
            params: ({ context }) => ({
              step: 'globalSignOut' as const,
              ...timedOut('The refresh before GlobalSignOut', 'remoteStepMs')({ context }),
            }),
          },
          { type: 'skipRemainingRemoteSteps', params: { reason: 'Network' } },
        ],
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
          actions: [
            {
              type: 'recordStepError',
              params: ({ event }) => ({ step: 'globalSignOut' as const, ...failed('GlobalSignOut')({ event }) }),
            },
            { type: 'skipRemainingRemoteSteps', params: { reason: 'Network' } },
          ],
        },
        // A service answer (e.g. NotAuthorized, 5xx): this device's refresh token may still live.
        {
          guard: 'shouldRevoke',
          target: 'revokingRefreshToken',
          actions: {
            type: 'recordStepError',
            params: ({ event }) => ({ step: 'globalSignOut' as const, ...failed('GlobalSignOut')({ event }) }),
          },
        },
        {
          target: 'clearingCache',
          actions: {
            type: 'recordStepError',
            params: ({ event }) => ({ step: 'globalSignOut' as const, ...failed('GlobalSignOut')({ event }) }),
          },
        },
      ],
    },
    after: {
      remoteStepTimeout: {
        target: 'clearingCache',
        actions: [
          {
            type: 'recordStepError',
            params: ({ context }) => ({
              step: 'globalSignOut' as const,
              ...timedOut('GlobalSignOut', 'remoteStepMs')({ context }),
            }),
          },
          { type: 'skipRemainingRemoteSteps', params: { reason: 'Network' } },
        ],
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
        actions: {
          type: 'recordStepError',
          params: ({ event }) => ({ step: 'revokeToken' as const, ...failed('RevokeToken')({ event }) }),
        },
      },
    },
    after: {
      remoteStepTimeout: {
        target: 'clearingCache',
        actions: {
          type: 'recordStepError',
          params: ({ context }) => ({
            step: 'revokeToken' as const,
            ...timedOut('RevokeToken', 'remoteStepMs')({ context }),
          }),
        },
      },
    },
  },
} satisfies Record<string, AuthStateConfig>;
