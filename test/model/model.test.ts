import { describe, expect, it } from 'vitest';
import type { AnyMachineSnapshot, AnyStateNode } from 'xstate';
import { getAdjacencyMap, getShortestPaths } from 'xstate/graph';
import { authMachineWithServices } from '../../src/machines/auth.slots.js';
import { type ActorSrc, actorFixtures, type DelayName, delayFixtures, userEvents } from './fixtures.js';
import {
  allTransitionKeys,
  createWorld,
  type FixtureEvent,
  leafStateIds,
  replayPath,
  serializeModelState,
} from './replay.js';

/** The chart used for path generation: real, with the offline guard read from the model's SIGN_OUT. */
function modelMachine() {
  return authMachineWithServices.provide({
    guards: {
      isOffline: ({ event }) => (event as FixtureEvent).offline === true,
      hostedUILeavesPage: ({ event }) => (event as FixtureEvent).leavesPage === true,
    },
  });
}

/** Every event that can happen in a snapshot: user events, actor outcomes from fixtures, delays. */
function eventsFor(snapshot: AnyMachineSnapshot): FixtureEvent[] {
  const events: FixtureEvent[] = Object.values(userEvents).flat();
  for (const node of snapshot._nodes as AnyStateNode[]) {
    for (const invoke of node.invoke) {
      const src = invoke.src as ActorSrc;
      const fixtures = actorFixtures[src];
      if (!fixtures) throw new Error(`no fixtures for actor "${String(invoke.src)}"`);
      for (const [name, f] of Object.entries(fixtures.done)) {
        events.push({
          type: `xstate.done.actor.${invoke.id}`,
          output: typeof f.output === 'function' ? f.output(snapshot.context) : f.output,
          actorId: invoke.id,
          fixture: { src, kind: 'done', name, arrange: f.arrange },
        } as unknown as FixtureEvent);
      }
      for (const [name, f] of Object.entries(fixtures.error)) {
        events.push({
          type: `xstate.error.actor.${invoke.id}`,
          error: f.error,
          actorId: invoke.id,
          fixture: { src, kind: 'error', name, arrange: f.arrange },
        } as unknown as FixtureEvent);
      }
    }
    for (const after of node.after) {
      if (!delayFixtures[after.delay as DelayName]) throw new Error(`no fixture for delay "${String(after.delay)}"`);
      events.push({ type: after.eventType } as unknown as FixtureEvent);
    }
  }
  return events;
}

const serializeEvent = (e: FixtureEvent) =>
  JSON.stringify({
    type: e.type,
    global: 'global' in e ? e.global : undefined,
    offline: e.offline,
    f: e.fixture?.name,
  });

describe('model-based tests generated from the statechart', () => {
  it('replays a path to every transition of the graph against the real actor; every state and transition is covered', async () => {
    const machine = modelMachine();
    const options = {
      events: eventsFor,
      serializeState: (s: AnyMachineSnapshot) => serializeModelState(s),
      serializeEvent: serializeEvent as (e: unknown) => string,
      input: createWorld().input,
      limit: 200_000,
    };
    // biome-ignore lint/suspicious/noExplicitAny: graph options are typed per machine
    const adjacency = getAdjacencyMap(machine as any, options as any);
    // biome-ignore lint/suspicious/noExplicitAny: as above
    const shortest = getShortestPaths(machine as any, options as any);
    const pathTo = new Map(shortest.map((p) => [serializeModelState(p.state as AnyMachineSnapshot), p.steps]));

    // One path per edge of the adjacency map: the shortest path to its source, then the edge.
    const paths: { event: FixtureEvent; state: AnyMachineSnapshot }[][] = [];
    for (const [key, vertex] of Object.entries(adjacency)) {
      const prefix = pathTo.get(key);
      if (!prefix) continue;
      for (const edge of Object.values(vertex.transitions) as { event: unknown; state: unknown }[]) {
        paths.push([
          ...(prefix as never[]),
          { event: edge.event as FixtureEvent, state: edge.state as AnyMachineSnapshot },
        ]);
      }
    }

    const covered = new Set<string>();
    const visited = new Set<string>();
    const problems: string[] = [];
    for (const path of paths) {
      const run = await replayPath(path);
      for (const t of run.transitions) covered.add(t);
      for (const s of run.states) visited.add(s);
      problems.push(...run.problems.map((p) => `path of ${path.length} steps: ${p}`));
      if (problems.length > 10) break;
    }
    expect(problems).toEqual([]);

    const allTransitions = allTransitionKeys(machine.root);
    const allStates = leafStateIds(machine.root);
    const missedTransitions = allTransitions.filter((t) => !covered.has(t));
    const missedStates = allStates.filter((s) => !visited.has(s));
    const statesCovered = allStates.length - missedStates.length;
    const transitionsCovered = allTransitions.length - missedTransitions.length;
    console.info(
      `model: ${Object.keys(adjacency).length} model states, ${paths.length} paths replayed\n` +
        `states covered: ${statesCovered}/${allStates.length}, transitions covered: ${transitionsCovered}/${allTransitions.length}`,
    );
    expect(missedStates).toEqual([]);
    expect(missedTransitions).toEqual([]);
  }, 120_000);
});
