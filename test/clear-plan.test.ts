/**
 * The clear's planner on its own (src/session/clear-plan.ts): what storage holds and what the
 * sign-out did → what to keep for revocation, what to remove, and the one outcome the chart goes on
 * with. The rows cite docs/sign-out.md; `SessionStore.clear` only carries the plan out.
 */
import { describe, expect, it } from 'vitest';
import { AuthError } from '../src/index.js';
import { type ClearScene, clearOutcome, journalOutcome, planClear } from '../src/session/clear-plan.js';

const OURS = { sessionId: 's1', refreshToken: 'rt-1' };
const base: ClearScene = { stored: OURS, sessionId: 's1' };
const KEEP = { refreshToken: 'rt-1', global: false };

describe('planClear: what a clear keeps and removes', () => {
  const rows: [string, Partial<ClearScene>, ReturnType<typeof planClear>][] = [
    [
      'our session, revoked here (rows 1–9): the record goes',
      { revoked: 'rt-1' },
      { kind: 'clear', keep: null, keepNewest: null, othersSession: false, gone: false },
    ],
    [
      'our session refreshed elsewhere after our RevokeToken (row 27): revoke the newer token, remove nothing',
      { stored: { sessionId: 's1', refreshToken: 'rt-2' }, revoked: 'rt-1' },
      { kind: 'revokeNewer', newer: { sessionId: 's1', refreshToken: 'rt-2' } },
    ],
    [
      "our session's rotated token waits in the outbox (row 27; another context's offline sign-out kept it): revoke it too",
      { stored: 'none', revoked: 'rt-1', waiting: { sessionId: 's1', refreshToken: 'rt-2' } },
      { kind: 'revokeNewer', newer: { sessionId: 's1', refreshToken: 'rt-2' } },
    ],
    [
      "it waits there for another context's deferred GlobalSignOut (row 27): that one is this sign-out's to run",
      { stored: 'none', revoked: 'rt-1', waiting: { sessionId: 's1', refreshToken: 'rt-2', global: true } },
      { kind: 'revokeNewer', newer: { sessionId: 's1', refreshToken: 'rt-2', global: true } },
    ],
    [
      'a token an earlier round of this sign-out revoked is never taken again (each round ends): the record goes',
      { stored: { sessionId: 's1', refreshToken: 'rt-2' }, revoked: 'rt-3', earlier: ['rt-1', 'rt-2'] },
      { kind: 'clear', keep: null, keepNewest: null, othersSession: false, gone: false },
    ],
    [
      'the outbox holds only the token revoked here (row 27): nothing more to revoke, the record goes',
      { revoked: 'rt-1', waiting: OURS },
      { kind: 'clear', keep: null, keepNewest: null, othersSession: false, gone: false },
    ],
    [
      'our session, offline with deferRevocation (row 8): our token to the outbox, the record goes',
      { keepForRevocation: KEEP },
      { kind: 'clear', keep: KEEP, keepNewest: null, othersSession: false, gone: false },
    ],
    [
      'our session refreshed elsewhere, offline with deferRevocation: both tokens to the outbox',
      { stored: { sessionId: 's1', refreshToken: 'rt-2' }, keepForRevocation: KEEP },
      { kind: 'clear', keep: KEEP, keepNewest: 'rt-2', othersSession: false, gone: false },
    ],
    [
      'another context signed this session out already (row 16a): nothing kept, nothing of ours to remove',
      { stored: 'none', keepForRevocation: KEEP },
      { kind: 'clear', keep: null, keepNewest: null, othersSession: false, gone: true },
    ],
    [
      'a cancelled sign-in that never reached storage (row 25): its token is kept all the same',
      { stored: 'none', keepForRevocation: KEEP, neverStored: true },
      { kind: 'clear', keep: KEEP, keepNewest: null, othersSession: false, gone: false },
    ],
    [
      "another context's newer sign-in (row 26): left, and followed",
      { stored: { sessionId: 's2', refreshToken: 'rt-9' }, revoked: 'rt-1' },
      { kind: 'clear', keep: null, keepNewest: null, othersSession: true, gone: false },
    ],
    [
      'nothing held here, storage holds a session (row 12): left, and followed',
      { sessionId: null },
      { kind: 'clear', keep: null, keepNewest: null, othersSession: true, gone: false },
    ],
    [
      'nothing held here, an unreadable record (row 12): removed',
      { sessionId: null, stored: 'unreadable' },
      { kind: 'clear', keep: null, keepNewest: null, othersSession: false, gone: false },
    ],
    [
      'a refresh refused because another context rotated the token (row 27): the session lives on',
      { stored: { sessionId: 's1', refreshToken: 'rt-2' }, refused: 'rt-1' },
      { kind: 'clear', keep: null, keepNewest: null, othersSession: true, gone: false },
    ],
    [
      'a refresh refused, storage holds that same token: the dead session goes',
      { refused: 'rt-1' },
      { kind: 'clear', keep: null, keepNewest: null, othersSession: false, gone: false },
    ],
  ];
  it.each(rows)('%s', (_, scene, plan) => {
    expect(planClear({ ...base, ...scene })).toEqual(plan);
  });
});

describe('clearOutcome: the one thing the chart goes on with', () => {
  const cleared = {
    kind: 'clear',
    keep: null,
    keepNewest: null,
    removeRecord: true,
    othersSession: false,
    gone: false,
  } as const;
  const outboxError = new AuthError('StorageFailure', 'disk full');
  const rows: [string, Parameters<typeof clearOutcome>, ReturnType<typeof clearOutcome>][] = [
    ['nothing else happened: cleared', [cleared, {}, 0], { kind: 'cleared' }],
    [
      'a full outbox dropped older tokens: outboxFull, first',
      [{ ...cleared, othersSession: true }, {}, 2],
      { kind: 'outboxFull', dropped: 2 },
    ],
    [
      "another context's session is there: othersSession",
      [{ ...cleared, othersSession: true }, {}, 0],
      { kind: 'othersSession' },
    ],
    [
      "the old layout's token went to the outbox (row 29): oldLayoutKept",
      [cleared, { oldLayout: { deferred: true } }, 0],
      { kind: 'oldLayoutKept', oldLayout: { deferred: true } },
    ],
    [
      "the old layout's token could not be kept: cleared, and said",
      [cleared, { oldLayout: { deferred: false, error: outboxError } }, 0],
      { kind: 'cleared', oldLayout: { deferred: false, error: outboxError } },
    ],
    [
      'the outbox failed for our token (row 23): cleared, and said',
      [cleared, { outboxError }, 0],
      { kind: 'cleared', outboxError },
    ],
    [
      'another context took care of the session (row 16a): cleared, gone',
      [{ ...cleared, gone: true }, {}, 0],
      { kind: 'cleared', gone: true },
    ],
  ];
  it.each(rows)('%s', (_, args, outcome) => {
    expect(clearOutcome(...args)).toEqual(outcome);
  });
});

describe('journalOutcome: what the journal finds beside the session held here', () => {
  const held = { sessionId: 's1', refreshToken: 'rt-1' };
  it.each([
    ['nothing stored (another context cleared it, or storage unreadable)', null, held, { kind: 'asHeld' }],
    ['no session held here (row 12: the clear reads storage itself)', OURS, null, { kind: 'asHeld' }],
    ['our session as held', OURS, held, { kind: 'asHeld' }],
    [
      'our session refreshed elsewhere (row 27): its newer token is the one to revoke',
      { sessionId: 's1', refreshToken: 'rt-2' },
      held,
      { kind: 'newerTokens', newer: { sessionId: 's1', refreshToken: 'rt-2' } },
    ],
    [
      "another context's sign-in (row 26): a caller's signOut() covers it",
      { sessionId: 's2', refreshToken: 'rt-9' },
      held,
      { kind: 'othersSession' },
    ],
  ] as const)('%s', (_name, stored, h, expected) => {
    expect(journalOutcome(stored, h)).toEqual(expected);
  });
});
