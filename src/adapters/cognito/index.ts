/**
 * `authchart/cognito`: the core's {@link AuthServices} on plain `fetch`, with no dependency.
 *
 * It speaks Cognito's JSON protocol (the calls used here are public and unsigned: no AWS
 * credentials). SRP, SECRET_HASH and every challenge are included; see docs/cognito.md.
 */
import { AuthError } from '../../errors.js';
import type { AuthServices } from '../../services/types.js';
import { checkEndpoint, type HttpOptions, post } from '../http.js';
import { type CognitoOperation, isThrottle, noAnswer, refusal, sentValues } from './errors.js';
import { type CognitoFlowOptions, cognitoFlows } from './flows.js';

export type { HttpOptions } from '../http.js';
export type { RememberedDevices } from './device-wiring.js';
export type { CognitoOperation } from './errors.js';
export type { CognitoFlowOptions } from './flows.js';

/** Options of {@link cognitoServices}. */
export interface CognitoServicesOptions extends CognitoFlowOptions, HttpOptions {
  /** The user pool's region, e.g. `eu-west-1` (names the endpoint). */
  region: string;
  /** Override the endpoint (e.g. an embedded Cognito on `http://127.0.0.1:9229`): `https:` or loopback, see `allowInsecureHttp`. */
  endpoint?: string;
  /** Bring your own `fetch` (tests, proxies, instrumentation). Default: the global one. */
  fetch?: typeof globalThis.fetch;
  /** Attempts per call: 1 (no retry) or 2 (default: one retry of a throttle or 5xx). */
  maxAttempts?: number;
  /** Delay before the retry, in ms (default 250, with jitter); cut short by the abort signal. */
  retryDelayMs?: number;
}

/** Waits `ms`, or rejects as soon as `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Cognito's exception name: `__type`, sometimes `prefix#Name`. */
const exceptionName = (type: unknown) => (typeof type === 'string' && type.split('#').pop()) || 'UnknownError';

/**
 * The core's services for a Cognito user pool app client, on `fetch`.
 *
 * @example
 * import { createAuth } from 'authchart';
 * import { cognitoServices } from 'authchart/cognito';
 *
 * const auth = createAuth({
 *   services: cognitoServices({ clientId: 'abc123', region: 'eu-west-1', userPoolId: 'eu-west-1_AbC123' }),
 * });
 */
export function cognitoServices(options: CognitoServicesOptions): AuthServices {
  if (!options?.endpoint && (typeof options.region !== 'string' || options.region === '')) {
    throw new AuthError('InvalidConfig', 'cognitoServices needs a region (or an endpoint)');
  }
  const { url: endpoint, max } = checkEndpoint(
    'cognitoServices',
    options.endpoint ?? `https://cognito-idp.${options.region}.amazonaws.com/`,
    options,
  );
  // Never more than one retry, whatever is passed (NaN included).
  const maxAttempts = (options.maxAttempts ?? 2) < 2 ? 1 : 2;
  const retryDelayMs = options.retryDelayMs ?? 250;

  async function attempt(operation: CognitoOperation, input: Record<string, unknown>, signal: AbortSignal) {
    // Read `fetch` per call, so a polyfill or test double installed later is honoured.
    const doFetch = options.fetch ?? globalThis.fetch;
    let status: number;
    let text: string;
    try {
      ({ status, text } = await post(
        doFetch,
        endpoint,
        {
          headers: {
            'Content-Type': 'application/x-amz-json-1.1',
            'X-Amz-Target': `AWSCognitoIdentityProviderService.${operation}`,
          },
          body: JSON.stringify(input),
          signal,
        },
        max,
        operation,
      ));
    } catch (error) {
      if (error instanceof AuthError) throw error;
      throw noAnswer(error, operation, signal);
    }
    const ok = status > 199 && status < 300;
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : {};
    } catch {
      // A proxy's HTML error page: the status decides below.
    }
    // Every Cognito answer is an object: `null`, an array or a string is none (ConfirmDevice's included).
    const object = parsed && typeof parsed === 'object' && !Array.isArray(parsed);
    if (ok && !object) throw new AuthError('Service', `${operation} answered without a JSON object`);
    const json = (object ? parsed : {}) as Record<string, unknown>;
    if (ok) return { ok, json };
    const name = exceptionName(json['__type']);
    const message = typeof json['message'] === 'string' ? json['message'] : '';
    const retryable = status >= 500 || isThrottle(name, status);
    return { ok, retryable, error: refusal(name, message, status, operation, sentValues(input)) };
  }

  return cognitoFlows(async (operation, input, signal, once) => {
    for (let n = 1; ; n++) {
      if (signal.aborted) throw noAnswer(signal.reason, operation, signal);
      const result = await attempt(operation, input, signal);
      if (result.ok) return result.json;
      if (!result.retryable || n >= maxAttempts || once) throw result.error;
      try {
        await sleep(retryDelayMs * (0.5 + Math.random()), signal);
      } catch (reason) {
        throw noAnswer(reason, operation, signal);
      }
    }
  }, options);
}
