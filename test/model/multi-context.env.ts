/**
 * The app's environment as a hostile app may give it to the multi-context model (faults `conn` and
 * `reentry`): a connectivity whose `subscribe()` or unsubscribe throws, and an `inspect` observer that
 * calls the instance's own API while the chart is processing an event. The outbox probe found both
 * (test/probes/outbox-lifecycle-hostile-defects.test.ts); the world now makes them.
 */
import type { InspectionEvent } from 'xstate';
import type { Connectivity } from '../../src/index.js';

/**
 * Fault `conn`: a context's connectivity, for each of its incarnations: `subscribe()` throws from its
 * n-th call (`throwFrom`, 1 = the instance's own, later ones the outbox's; 0 = never), and/or the
 * function it returns throws.
 */
export interface ConnFault {
  throwFrom: number;
  unsubscribeThrows: boolean;
}

/** What an inspection observer reacts to (fault `reentry`). */
export type Trigger = 'OUTBOX_DRAINED' | 'SIGN_OUT' | 'RETRY_DEFERRED' | 'outboxReport';
/** The call it makes, on the instance being inspected, while that instance is processing. */
export type ReentrantCall = 'retry' | 'signOut' | 'fetchTokens';

/** Fault `reentry`: in context `ctx`, each incarnation makes `call` at the `nth` time it sees `on`. */
export interface Reentry {
  ctx: number;
  on: Trigger;
  nth: number;
  call: ReentrantCall;
}

export const describeReentry = (r: Reentry, contexts: number): string =>
  `c${r.ctx % contexts}: ${r.call} at ${r.on} #${r.nth}`;

/** Whether an inspection event is `on`: an event of that type reaching an actor, or the outbox's report (sendTo). */
function sees(e: InspectionEvent, on: Trigger): boolean {
  if (on === 'outboxReport')
    return (
      e.type === '@xstate.action' &&
      (e.actorRef as { id?: string }).id === 'outbox' &&
      e.action.type === 'xstate.sendTo'
    );
  return e.type === '@xstate.event' && (e.event as { type?: string }).type === on;
}

/**
 * The inspect observer of one incarnation of context `ctx`: each of its rules fires once, at the
 * `nth` time it sees its trigger, calling `reenter` synchronously (inside xstate's processing). Off
 * once `over()` (the faults end with the program).
 */
export function reentrantInspect(
  rules: readonly Reentry[],
  contexts: number,
  ctx: number,
  over: () => boolean,
  reenter: (r: Reentry) => void,
): ((e: InspectionEvent) => void) | undefined {
  const mine = rules.filter((r) => r.ctx % contexts === ctx);
  if (mine.length === 0) return undefined;
  const seen = mine.map(() => 0);
  return (e) => {
    if (over()) return;
    for (const [k, r] of mine.entries()) {
      if (!sees(e, r.on)) continue;
      seen[k] = (seen[k] ?? 0) + 1;
      if (seen[k] === r.nth) reenter(r);
    }
  };
}

/** The two observers as one (MC_DEBUG's trace and a re-entrant one). */
export function bothInspect(
  a: ((e: InspectionEvent) => void) | undefined,
  b: ((e: InspectionEvent) => void) | undefined,
): { inspect: (e: InspectionEvent) => void } | Record<string, never> {
  if (!a && !b) return {};
  return {
    inspect: (e) => {
      a?.(e);
      b?.(e);
    },
  };
}

/**
 * A connectivity over `base` (one per incarnation: it counts that incarnation's subscribe calls) whose
 * subscribe throws from its `throwFrom`-th call and/or whose unsubscribe throws. It stays hostile at
 * the end of the program: an app's broken connectivity does not mend itself.
 */
export function hostileConnectivity(base: Connectivity, fault: ConnFault | undefined): Connectivity {
  if (!fault || (fault.throwFrom === 0 && !fault.unsubscribeThrows)) return base;
  let subscribes = 0;
  return {
    isOnline: () => base.isOnline(),
    subscribe(listener) {
      subscribes++;
      if (fault.throwFrom > 0 && subscribes >= fault.throwFrom) throw new Error('subscribe: too many listeners');
      const off = base.subscribe?.(listener);
      return () => {
        off?.();
        if (fault.unsubscribeThrows) throw new Error('unsubscribe failed');
      };
    },
  };
}
