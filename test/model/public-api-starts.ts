/** Where the public-API model's fixed table starts, and what its coverage line counts (public-api.test.ts). */
import type { Command, Config } from './public-api-model.js';

export const STATES = ['restoring', 'signedOut', 'signingIn', 'signedIn', 'signingOut'];
/** Every step the chart can be waiting on when stop() comes (remote calls and blocked storage). */
export const PENDING_STEPS = [
  'restoring',
  'signingIn.auth',
  'signingIn.save',
  'signedIn.refresh',
  'signedIn.store',
  'signedIn.recheck',
  'signingOut.deleting',
  'signingOut.hosted',
  'signingOut.journal',
  'signingOut.refreshGlobal',
  'signingOut.global',
  'signingOut.revoke',
  'signingOut.clear',
];

/** Every way a fetchTokens() call is answered (see the model's `answerFetchers`). */
export const FETCH_ANSWERS = [
  'tokens',
  'NotSignedIn',
  'Offline',
  'Network',
  'Timeout',
  'Service',
  'refresh refused',
  'Cancelled by a sign-out',
  'Cancelled by stop()',
];

/** Where the fixed table starts: a config and the commands that lead there (each ends at rest). */
export const STARTS: Record<string, { config: Config; prefix: Command[] }> = {
  'restoring, nothing stored': { config: { stored: false, held: true, atStart: [] }, prefix: [] },
  'restoring, session stored': { config: { stored: true, held: true, atStart: [] }, prefix: [] },
  signedOut: { config: { stored: false, held: false, atStart: [] }, prefix: [] },
  signedIn: { config: { stored: true, held: false, atStart: [] }, prefix: [] },
  'signedIn, access token near expiry': {
    config: { stored: true, held: false, atStart: [], tokens: 'near' },
    prefix: [],
  },
  'signedIn.refreshingTokens': {
    config: { stored: true, held: false, atStart: [] },
    prefix: [{ tick: ['fetchForce'] }],
  },
  'signedIn.checkingRefusedSession (storage hung)': {
    config: { stored: true, held: false, atStart: [] },
    prefix: [{ tick: ['fetchForce'] }, { env: 'hangStorage' }, { env: 'notAuthorized' }],
  },
  'signedIn.storingRefreshedTokens (storage hung)': {
    config: { stored: true, held: false, atStart: [] },
    prefix: [{ tick: ['fetchForce'] }, { env: 'hangStorage' }, { env: 'ok' }],
  },
  'signedIn.waitingToRetryRefresh': {
    config: { stored: true, held: false, atStart: [], tokens: 'near' },
    prefix: [{ tick: ['fetch'] }, { env: 'network' }],
  },
  'signingIn.authenticating': { config: { stored: false, held: false, atStart: [] }, prefix: [{ tick: ['signIn'] }] },
  'signingIn.savingSession (storage hung)': {
    config: { stored: false, held: false, atStart: [] },
    prefix: [{ env: 'hangStorage' }, { tick: ['adopt'] }],
  },
  // A save that failed: its tokens are revoked and cleared like a cancelled sign-in's.
  'signingOut.writingJournal after a failed save (storage hung)': {
    config: { stored: false, held: false, atStart: [] },
    prefix: [{ env: 'hangStorage' }, { tick: ['adopt'] }, { env: 'wait' }],
  },
  'signingOut.deletingUser': {
    config: { stored: true, held: false, atStart: [] },
    prefix: [{ tick: ['deleteUser'] }],
  },
  // DeleteUser answered: the hosted UI's /logout of a deleted user's hosted session.
  'signingOut.signingOutOfHostedUI after DeleteUser': {
    config: { stored: false, held: false, atStart: [] },
    prefix: [{ tick: ['adopt'] }, { tick: ['deleteUser'] }, { env: 'ok' }],
  },
  'signingOut.signingOutOfHostedUI': {
    config: { stored: false, held: false, atStart: [] },
    prefix: [{ tick: ['adopt'] }, { tick: ['signOut'] }],
  },
  'signingOut.writingJournal (storage hung)': {
    config: { stored: true, held: false, atStart: [] },
    prefix: [{ env: 'hangStorage' }, { tick: ['signOut'] }],
  },
  'signingOut.refreshingForGlobalSignOut': {
    config: { stored: true, held: false, atStart: [], tokens: 'expired' },
    prefix: [{ tick: ['signOutGlobal'] }],
  },
  'signingOut.signingOutGlobally': {
    config: { stored: true, held: false, atStart: [] },
    prefix: [{ tick: ['signOutGlobal'] }],
  },
  'signingOut.revokingRefreshToken': {
    config: { stored: true, held: false, atStart: [] },
    prefix: [{ tick: ['signOut'] }],
  },
  'signingOut.clearingCache (storage hung)': {
    config: { stored: true, held: false, atStart: [] },
    prefix: [{ tick: ['signOut'] }, { env: 'hangStorage' }, { env: 'ok' }],
  },
};
