import { AuthError, NETWORK_CODES } from '../errors.js';
import type { AuthServices, Connectivity } from '../services/types.js';
import type { SessionStore } from './store.js';

/**
 * The deferred-revocation outbox: refresh tokens a sign-out could not revoke for network reasons.
 * One drain at a time; each RevokeToken bounded by the step timeout; a token leaves the outbox
 * when revoked or refused for good (any answer that is not a network failure).
 */
export class RevocationOutbox {
  #running: Promise<{ settled: number; remaining: number }> | null = null;
  #stopped = new AbortController();

  constructor(
    private readonly store: SessionStore,
    private readonly services: AuthServices,
    private readonly stepMs: number,
  ) {}

  drain(): Promise<{ settled: number; remaining: number }> {
    this.#running ??= this.#drain().finally(() => {
      this.#running = null;
    });
    return this.#running;
  }

  drainQuietly(connectivity: Connectivity): void {
    if (this.#stopped.signal.aborted || !safeIsOnline(connectivity)) return;
    this.drain().catch(() => undefined);
  }

  stop(): void {
    this.#stopped.abort();
  }

  async #drain(): Promise<{ settled: number; remaining: number }> {
    const tokens = await this.store.readOutbox();
    const settled: string[] = [];
    for (const token of tokens) {
      if (this.#stopped.signal.aborted) break;
      const signal = AbortSignal.any([this.#stopped.signal, AbortSignal.timeout(this.stepMs)]);
      try {
        await this.services.revokeToken(token, signal);
        settled.push(token);
      } catch (error) {
        const code = error instanceof AuthError ? error.code : 'Service';
        if (!NETWORK_CODES.has(code) && !signal.aborted) settled.push(token);
      }
    }
    if (settled.length > 0) await this.store.settleOutbox(settled);
    return { settled: settled.length, remaining: tokens.length - settled.length };
  }
}

export function safeIsOnline(connectivity: Connectivity): boolean {
  try {
    return connectivity.isOnline();
  } catch {
    return true;
  }
}
