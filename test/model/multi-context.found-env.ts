/**
 * Defects of a hostile app environment (faults `conn` and `reentry`, `multi-context.env.ts`): the
 * outbox probe found them first (test/probes/outbox-lifecycle-hostile-defects.test.ts), the world
 * could not; with these faults it finds each again when its fix is reverted in src. Each is the
 * shrunk program of that run (seed 20261125), now fixed: `multi-context.test.ts` replays it.
 */
import { base, type Found } from './multi-context.found.js';

const fetchTokens = { t: 'fetchTokens', ctx: 0, forceRefresh: false, gap: 1 } as const;

export const FOUND_IN_ENV: Found[] = [
  {
    name: 'a retryDeferredRevocations() made from the inspection stream when the outbox’s quiet report reaches the chart is answered (the stop of the quiet outbox dropped its queued DRAIN)',
    breaks: '[5]',
    // Reverted: the `outboxAsks` count in the guard `outboxQuietAndAnswered`, and the offline start's report.
    // FC_PATH=192:0:0:0:0:0:0:0:0:0:2:1:1:1:1:1:0:0:0:0
    input: {
      ...base,
      reentries: [{ ctx: 0, on: 'OUTBOX_DRAINED', nth: 1, call: 'retry' }],
      steps: [{ t: 'signOut', ctx: 0, global: false, gap: -1 }],
    },
  },
  {
    name: 'an app connectivity whose unsubscribe throws: stop() neither throws nor leaves its cleanups and answers undone',
    breaks: '[5]',
    // Reverted: `safeSubscribe` catching, and `safely(cleanup)` in stop(). stop() threw "unsubscribe failed".
    // FC_PATH=8:0:0:0:0:0:0:0:1:0:1:1:1:1
    input: { ...base, conn: [{ throwFrom: 0, unsubscribeThrows: true }], steps: [fetchTokens] },
  },
  {
    name: 'with deferRevocation, an app connectivity whose subscribe throws leaves the chart alive (the outbox’s watcher put it in error) and every call answered',
    breaks: '[4]',
    // Reverted: the outbox's `watchConnectivity` through `safeSubscribe`. The chart stayed in
    // restoring.readingStoredSession and the final fetchTokens() was never answered.
    // FC_PATH=8:1:1:1:1:1:1:2:2:2:2:2:2:2
    input: {
      ...base,
      deferRevocation: true,
      conn: [{ throwFrom: 1, unsubscribeThrows: false }],
      steps: [fetchTokens],
    },
  },
];
