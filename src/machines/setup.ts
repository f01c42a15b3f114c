import { createMachine, type setup as xstateSetup } from 'xstate';

type Slots = { schemas?: unknown; actors?: object; actions?: object; guards?: object; delays?: object };

/**
 * xstate's `setup()` as the charts use it: typed as xstate's (params, guards, actors and delays
 * are checked the same way), but what it returns has only `createMachine` (the only member the
 * charts call). xstate's also returns every action creator (`log`, `enqueueActions`, …), which
 * kept them all in an app's bundle.
 */
export const setup = (({ schemas, actors, actions, guards, delays }: Slots) => ({
  createMachine: (config: object) =>
    (createMachine as (config: object, slots: object) => unknown)(
      { ...config, schemas },
      { actors, actions, guards, delays },
    ),
})) as unknown as typeof xstateSetup;
