import { describe, expect, it } from 'vitest';
import { depsWithStop, StopSignal } from '../src/client-helpers.js';

/** `deps.stopped` is made at its first read: read before stop() or after, it tells the same. */
describe('the stop signal of an instance', () => {
  it('read before stop(): the same signal, aborted by stop()', () => {
    const stop = new StopSignal();
    const signal = stop.signal;
    expect(stop.signal).toBe(signal);
    let heard = 0;
    signal.addEventListener('abort', () => heard++);
    stop.abort();
    expect(signal.aborted).toBe(true);
    expect(heard).toBe(1);
  });

  it('first read after stop(): aborted already', () => {
    const stop = new StopSignal();
    stop.abort();
    expect(stop.signal.aborted).toBe(true);
  });

  it('deps read it through `stopped`, and keep every other field as given', () => {
    const stop = new StopSignal();
    const fields = { services: {}, hostedUI: null, store: {}, connectivity: {}, clock: {}, sync: null };
    const deps = depsWithStop(fields as unknown as Parameters<typeof depsWithStop>[0], stop);
    expect(deps.sync).toBeNull();
    expect(deps.services).toBe(fields.services);
    expect(deps.stopped).toBe(stop.signal);
    stop.abort();
    expect(deps.stopped?.aborted).toBe(true);
  });
});
