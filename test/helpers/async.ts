/** Time and cancellation helpers every test shares (one copy, not one per file). */

/** Resolves after `ms` real milliseconds (0: the next macrotask, after every pending microtask). */
export const sleep = (ms = 0): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A signal that never aborts, for a service call the test does not cancel. */
export const signal = (): AbortSignal => new AbortController().signal;

/** A signal that aborts after `ms`: a call to a real server never waits longer than the test. */
export const timeoutSignal = (ms = 5_000): AbortSignal => AbortSignal.timeout(ms);
