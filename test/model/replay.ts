/**
 * Replays one path of the chart graph against the real actor in the replay world
 * (`replay-world.ts`), checking after every step what the model predicts.
 */
import { type AnyMachineSnapshot, createActor, type InspectionEvent } from 'xstate';
import type { AuthContext } from '../../src/machines/auth.types.js';
import { ownKeys } from '../helpers/fakes.js';
import { tokenStrings } from '../helpers/tokens.js';
import {
  type ActorSrc,
  expiredPlainTokens,
  expiredTokens,
  plainTokens,
  refreshedTokens,
  revocableTokens,
  webOnlyTokens,
} from './fixtures.js';
import { serializeModelState, transitionKey } from './graph.js';

import { CLIENT_ID, createWorld, type FixtureEvent, MODEL_CONFIG, type World } from './replay-world.js';

export { CLIENT_ID, createWorld, type FixtureEvent, MODEL_CONFIG, type World };

const SECRETS = tokenStrings([
  revocableTokens,
  plainTokens,
  refreshedTokens,
  webOnlyTokens,
  expiredTokens,
  expiredPlainTokens,
]);

/** How far to move the clock for a delay: exactly its bound (a state may hold two), or far for refreshes. */
function delayMs(eventType: string): number {
  const delay = eventType.split('.')[2] ?? '';
  const bounds: Record<string, number> = {
    remoteStepTimeout: MODEL_CONFIG.remoteStepMs,
    storageTimeout: MODEL_CONFIG.storageMs,
    hostedUITimeout: MODEL_CONFIG.hostedUIMs,
    challengeExpiry: MODEL_CONFIG.challengeMs,
  };
  return bounds[delay] ?? 10 * 24 * 3600 * 1000;
}

/** Which storage actor each storage-bound state runs. */
const STORAGE_STEP_SRC: Record<string, ActorSrc> = {
  readingStoredSession: 'readSession',
  checkingStorage: 'readSession',
  discardingInvalidSession: 'clearSession',
  savingSession: 'saveSession',
  undoingPartialSave: 'clearSession',
  storingRefreshedTokens: 'storeRefreshedTokens',
  writingJournal: 'writeJournal',
  clearingCache: 'clearSession',
};
const STORAGE_FAILURE_SRCS = new Set<ActorSrc>([
  'readSession',
  'clearSession',
  'saveSession',
  'storeRefreshedTokens',
  'writeJournal',
]);

/** What must hold in each state, checked after every step of every path. */
export function checkInvariants(
  world: World,
  snapshot: AnyMachineSnapshot,
  event: FixtureEvent,
  signOutCalls: { revoke: number; global: number; wokenByOtherTab: boolean },
): string[] {
  const problems: string[] = [];
  const keys = ownKeys(world.storage, CLIENT_ID);
  const value = JSON.stringify(snapshot.value);
  const ctx = snapshot.context as AuthContext;
  const storageJustFailed =
    (event.fixture?.kind === 'error' && STORAGE_FAILURE_SRCS.has(event.fixture.src)) ||
    event.type.startsWith('xstate.after.storageTimeout.');
  // A restore woken by another tab leaves what it finds alone: that tab owns it.
  const lookedForOtherTab =
    (event.fixture?.src === 'readSession' && signOutCalls.wokenByOtherTab) ||
    // Following another context's sign-out: what it is still writing or removing is not ours to clear.
    (event.type as string) === 'xstate.done.actor.recheckStoredSession';
  // A redirect transaction waits for the page that comes back: it is no session.
  const sessionKeys = keys.filter((k) => !k.endsWith('.redirectTransaction'));
  if (snapshot.matches('signedOut') && sessionKeys.length > 0 && !storageJustFailed && !lookedForOtherTab) {
    problems.push(`signedOut with our keys left: ${sessionKeys.join(', ')}`);
  }
  if (snapshot.matches('signedIn')) {
    // One record holds the session; a refresh's write that failed keeps the same session id.
    const raw = world.storage.getItem(`authchart.${CLIENT_ID}.session`);
    const record = typeof raw === 'string' ? (JSON.parse(raw) as { id?: string; refreshToken?: string }) : null;
    if (!ctx.session) problems.push('signedIn without a session');
    // (Storage moved on under a refresh's write: the chart is reading it, to follow.)
    else if (snapshot.matches({ signedIn: 'checkingStorage' })) {
    } else if (!record?.refreshToken) problems.push('signedIn without a session record in storage');
    else if (record.id !== ctx.session.sessionId) problems.push('signedIn with another session in storage');
  }
  // Crash safety: while a remote sign-out step runs, the journal is in storage (unless writing it failed).
  const remoteStep =
    snapshot.matches({ signingOut: 'revokingRefreshToken' }) || snapshot.matches({ signingOut: 'signingOutGlobally' });
  const journalKey = `authchart.${CLIENT_ID}.signOutJournal`;
  // (A token rotated here and never stored, revoked while following another context's sign-out, has no journal.)
  const followed = ctx.signOut?.reason === 'otherTab';
  if (remoteStep && !followed && !world.journalWriteFailed && !world.storage.keys().includes(journalKey)) {
    problems.push('a remote sign-out step runs without a journal entry');
  }
  if (snapshot.matches({ signingOut: 'revokingRefreshToken' })) {
    if (world.inFlight.revokeToken !== 1)
      problems.push(`revoking with ${world.inFlight.revokeToken} RevokeToken calls in flight`);
    if (signOutCalls.revoke !== 1)
      problems.push(`revoking, ${signOutCalls.revoke} RevokeToken calls made in this sign-out`);
  }
  if (snapshot.matches({ signingOut: 'signingOutGlobally' }) && world.inFlight.globalSignOut !== 1) {
    problems.push(`signing out globally with ${world.inFlight.globalSignOut} GlobalSignOut calls in flight`);
  }
  if (!snapshot.matches('signingOut') && (world.inFlight.revokeToken > 0 || world.inFlight.globalSignOut > 0)) {
    problems.push(`${value}: a sign-out call is still in flight`);
  }
  // The sign-out plan (docs/sign-out.md): by the time it clears, every step the rules call for has run or
  // is accounted for (failed or skipped), and none that they rule out has run.
  if (snapshot.matches({ signingOut: 'clearingCache' }) && ctx.signOut?.reason === 'signOut' && ctx.session) {
    const { steps, scope } = ctx.signOut;
    if (scope === 'global' && steps.globalSignOut === 'notRun')
      problems.push('global sign-out cleared without GlobalSignOut');
    if (scope === 'local' && steps.globalSignOut !== 'notRun') problems.push('local sign-out ran GlobalSignOut');
    const revokeDue = ctx.session.revocable && steps.globalSignOut !== 'done';
    if (revokeDue && steps.revokeToken === 'notRun') problems.push('a revocable session cleared without RevokeToken');
    if (!ctx.session.revocable && steps.revokeToken !== 'notRun')
      problems.push('revoked although the policy rules it out');
    if (steps.globalSignOut === 'done' && steps.revokeToken !== 'notRun')
      problems.push('revoked after a successful GlobalSignOut');
  }
  const text = JSON.stringify(snapshot);
  for (const secret of SECRETS) if (text.includes(secret)) problems.push(`${value}: a token string in the snapshot`);
  return problems;
}

/** Replays one path against the real actor; returns the transitions taken and the leaf states visited. */
export async function replayPath(
  steps: readonly { event: FixtureEvent; state: AnyMachineSnapshot }[],
): Promise<{ transitions: Set<string>; states: Set<string>; problems: string[] }> {
  const world = createWorld();
  const transitions = new Set<string>();
  const states = new Set<string>();
  const problems: string[] = [];
  // Inspection starts while the actor (and its outbox child) is being created.
  let root: unknown = null;
  const inspect = (e: InspectionEvent) => {
    if (e.type === '@xstate.microstep' && root !== null && e.actorRef === root) {
      for (const t of e._transitions) transitions.add(transitionKey(t));
      for (const node of (e.snapshot as AnyMachineSnapshot)._nodes) if (node.type === 'atomic') states.add(node.id);
    }
  };
  const actor = createActor(world.machine, { input: world.input, clock: world.clock, inspect });
  root = actor;
  actor.start();
  for (const node of actor.getSnapshot()._nodes) if (node.type === 'atomic') states.add(node.id);
  let atSignOut = { revoke: 0, global: 0 };
  let index = 0;
  for (const { event, state } of steps) {
    index++;
    const where = `step ${index} (${event.type}${event.fixture ? `:${event.fixture.name}` : ''})`;
    const wokenByOtherTab = (actor.getSnapshot().context as AuthContext).restoringForOtherTab;
    if (event.fixture) {
      await world.gate.release(event.fixture.src, event.fixture.arrange);
    } else if (event.type.startsWith('xstate.after.')) {
      const timedOutStorage = STORAGE_STEP_SRC[event.type.split('.').pop() ?? ''];
      if (event.type.startsWith('xstate.after.storageTimeout.') && timedOutStorage) {
        if (timedOutStorage === 'writeJournal') world.journalWriteFailed = true;
        world.clock.increment(delayMs(event.type));
        await new Promise((r) => setImmediate(r));
        world.gate.releaseAll(timedOutStorage, { kind: 'storageFails' });
      } else {
        world.clock.increment(delayMs(event.type));
      }
    } else {
      // A SIGN_OUT during a sign-out must not start another: only a new one resets the count.
      if (event.type === 'SIGN_OUT' && !actor.getSnapshot().matches('signingOut')) {
        atSignOut = { revoke: world.calls.revokeToken, global: world.calls.globalSignOut };
      }
      if (event.offline) world.connectivity.set(false);
      if (event.leavesPage) world.hostedUI.leavesPage = true;
      const { offline: _offline, leavesPage: _leavesPage, ...plain } = event;
      actor.send(plain as Parameters<typeof actor.send>[0]);
      world.connectivity.set(true);
      world.hostedUI.leavesPage = false;
    }
    const expected = serializeModelState(state);
    for (let i = 0; i < 200 && serializeModelState(actor.getSnapshot()) !== expected; i++) {
      await new Promise((r) => setImmediate(r));
    }
    // Let effects of the new state start (invoked actors call their services asynchronously).
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    const actual = serializeModelState(actor.getSnapshot());
    if (actual !== expected) {
      problems.push(`${where}: expected ${expected}\n   got ${actual}`);
      break;
    }
    const signOutCalls = {
      revoke: world.calls.revokeToken - atSignOut.revoke,
      global: world.calls.globalSignOut - atSignOut.global,
      wokenByOtherTab,
    };
    for (const p of checkInvariants(world, actor.getSnapshot(), event, signOutCalls)) problems.push(`${where}: ${p}`);
  }
  actor.stop();
  return { transitions, states, problems };
}
