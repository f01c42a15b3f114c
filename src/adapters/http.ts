/**
 * What `authchart/cognito` and `authchart/hosted-ui` share about talking to an endpoint that may be
 * hostile or impersonated: https only, no redirect followed, a bounded answer, bounded foreign text.
 * (Ideas from oauth4webapi: `redirect: 'manual'` on every request, https unless opted out, a
 * parameter given twice is refused. It has no size cap; ours reads the body as a stream.)
 */
import { AuthError } from '../errors.js';

/** Options every HTTP-speaking adapter takes. */
export interface HttpOptions {
  /**
   * Take a plain `http:` endpoint that is not loopback (`127.0.0.0/8`, `[::1]`, `localhost`, which
   * browsers also count as secure). For test rigs only: passwords and tokens would cross in clear.
   */
  allowInsecureHttp?: boolean;
  /** The largest answer read, in bytes (default 1 MiB); a larger one is `Service`, and the rest is never read. */
  maxResponseBytes?: number;
}

const LOOPBACK = /^(localhost|\[::1\]|127(\.\d+){3})$/;

/**
 * An endpoint that will carry secrets, checked when the adapter is made: `https:`, loopback
 * `http:`, or any `http:` with `allowInsecureHttp`; and the answer size cap (default 1 MiB).
 */
export function checkEndpoint(who: string, value: string, options: HttpOptions): { url: string; max: number } {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {}
  const max = options.maxResponseBytes ?? 1 << 20;
  const bad = (why: string) => new AuthError('InvalidConfig', `${who}: ${why}`);
  const { protocol, hostname, href } = url ?? {};
  if (!(protocol === 'https:' || (protocol === 'http:' && (options.allowInsecureHttp || LOOPBACK.test(hostname!))))) {
    throw bad(`${clip(value, 100)} is not https (allowInsecureHttp takes http)`);
  }
  if (!(max > 0)) throw bad('maxResponseBytes must be above 0');
  return { url: href!, max };
}

/**
 * POSTs and answers the status and the body as text. Never follows a redirect (it would re-send
 * the body, password or code, to wherever `Location` points): a 3xx is `Service`. Reads at most
 * `max` bytes, then cancels the stream. Failures to connect or read are thrown as they came.
 */
export async function post(
  doFetch: typeof fetch,
  url: string,
  init: RequestInit,
  max: number,
  what: string,
): Promise<{ status: number; text: string }> {
  const response = await doFetch(url, { ...init, method: 'POST', redirect: 'manual' });
  const { status, body } = response;
  const reader = body?.getReader();
  const refuse = async (why: string) => {
    await reader?.cancel().catch(() => {});
    return new AuthError('Service', `${what}: ${why}`);
  };
  // `opaqueredirect` (status 0) is what a browser's fetch makes of a 3xx under `redirect: 'manual'`.
  if (response.type === 'opaqueredirect' || (status > 299 && status < 400)) {
    throw await refuse(`redirected (HTTP ${status || '3xx'}), not followed`);
  }
  const tooLarge = `the answer was larger than ${max} bytes`;
  if (Number(response.headers.get('content-length')) > max) throw await refuse(tooLarge);
  let text = '';
  let size = 0;
  const decoder = new TextDecoder();
  for (let chunk = await reader?.read(); chunk && !chunk.done; chunk = await reader?.read()) {
    size += chunk.value.byteLength;
    if (size > max) throw await refuse(tooLarge);
    text += decoder.decode(chunk.value, { stream: true });
  }
  return { status, text: text + decoder.decode() };
}

/** Foreign text as a bounded, one-line string (`max` characters), with `secrets` blanked out. */
export function clip(text: string, max = 200, secrets: readonly string[] = []): string {
  const line = secrets
    .reduce((t, s) => (s.length > 3 ? t.split(s).join('[redacted]') : t), text)
    .replace(/\p{Cc}+/gu, ' ');
  // A cut drops the word it would split: that word may be an encoded secret (base64, hex, %-escaped)
  // that the core's scrubber can only recognise whole, and must not see as a fragment.
  return line.length > max ? `${line.slice(0, max).replace(/\S+$/, '')}…` : line;
}

/**
 * A foreign error name (`NotAuthorizedException`, `invalid_grant`) as it came, if it is one (a safe
 * charset, 64 characters at most), else `fallback`. Never a cut or filtered copy: an endpoint that
 * echoes a secret as the name would get a fragment past the core's scrubber, which knows it whole.
 */
export const safeName = (name: string, fallback: string): string => (/^[\w.:-]{1,64}$/.test(name) ? name : fallback);

/** Where an issuer can come from: the option, else a pool id and region. */
export interface IssuerOptions {
  /** The pool's issuer, if not `https://cognito-idp.<region>.amazonaws.com/<userPoolId>` (an emulator's). */
  issuer?: string;
  userPoolId?: string;
  region?: string;
}

/**
 * The pool's token issuer: `issuer`, else derived from `userPoolId` (`<region>_<id>`). Never from
 * an endpoint override: Cognito keeps this issuer behind a custom or FIPS endpoint.
 */
export function poolIssuer(who: string, { issuer, userPoolId, region }: IssuerOptions): string | undefined {
  if (userPoolId !== undefined) {
    const pool = /^([a-z][a-z\d-]*)_[\dA-Za-z]+$/.exec(userPoolId);
    if (!pool || (region && pool[1] !== region)) {
      throw new AuthError(
        'InvalidConfig',
        `${who}: userPoolId ${clip(userPoolId, 64)} is not ${region || '<region>'}_<id>`,
      );
    }
    region = pool[1];
  }
  return issuer ?? (userPoolId && `https://cognito-idp.${region}.amazonaws.com/${userPoolId}`);
}

// The hosted UI's OAuth endpoints (authchart/hosted-ui): form posts and their OAuth errors.

/** The step's `signal` fired before the hosted UI answered. */
export function abortError(signal: AbortSignal, what: string, cause?: unknown): AuthError {
  return new AuthError('Timeout', `${what} was aborted before the hosted UI answered`, {
    cause: cause ?? signal.reason,
  });
}

/**
 * An OAuth `error` parameter or JSON body as an AuthError; `access_denied` is what a user's cancel
 * looks like. Both strings are the server's: bounded, and blanked of what we `sent`.
 */
export function oauthError(
  what: string,
  rawError: string,
  description: string | null | undefined,
  sent: readonly string[],
  status?: number,
): AuthError {
  const error = safeName(rawError, 'invalid_error');
  const code = error === 'access_denied' ? 'Cancelled' : error === 'invalid_grant' ? 'NotAuthorized' : null;
  const detail = description ? `: ${clip(description, 200, sent)}` : '';
  const http = status === undefined ? '' : ` (HTTP ${status})`;
  const message = `${what} was refused by the hosted UI: ${error}${http}${detail}`;
  const serviceName = { serviceName: error };
  if (code) return new AuthError(code, message, serviceName);
  return new AuthError(
    status === undefined ? 'HostedUIError' : status === 429 ? 'Throttled' : 'Service',
    message,
    serviceName,
  );
}

/** What every OAuth request of one adapter needs. */
export interface Endpoint {
  origin: string;
  doFetch: typeof fetch;
  max: number;
}

// Form fields that are not secrets (kept in messages); every other value sent is blanked out.
const PUBLIC_FIELDS = new Set(['grant_type', 'client_id', 'redirect_uri']);

/**
 * POSTs a form to an OAuth endpoint and answers the JSON body of a 2xx (`{}` for an empty one, as
 * /oauth2/revoke answers). No answer is `Network` (`Timeout` once `signal` fired); a redirect or an
 * oversized answer is `Service`; a refusal is mapped by {@link oauthError}.
 */
export async function postForm(
  { origin, doFetch, max }: Endpoint,
  path: string,
  body: URLSearchParams,
  signal: AbortSignal,
  what: string,
): Promise<Record<string, unknown>> {
  if (signal.aborted) throw abortError(signal, what);
  let status: number;
  let text: string;
  try {
    ({ status, text } = await post(
      doFetch,
      origin + path,
      {
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body,
        signal,
      },
      max,
      what,
    ));
  } catch (cause) {
    if (cause instanceof AuthError) throw cause;
    if (signal.aborted) throw abortError(signal, what, cause);
    throw new AuthError('Network', `${what} got no answer from the hosted UI`, { cause });
  }
  const ok = status > 199 && status < 300;
  let json: Record<string, unknown> = {};
  try {
    const parsed: unknown = text.trim() !== '' || !ok ? JSON.parse(text) : {};
    // `null` or an array answers nothing: read as an empty object.
    if (parsed && typeof parsed === 'object') json = parsed as Record<string, unknown>;
  } catch (cause) {
    if (ok) throw new AuthError('Service', `${what}: the hosted UI answered no JSON`, { cause });
  }
  if (!ok) {
    const error = typeof json['error'] === 'string' ? json['error'] : `HTTP ${status}`;
    const description = typeof json['error_description'] === 'string' ? json['error_description'] : undefined;
    const sent = [...body].flatMap(([key, value]) => (PUBLIC_FIELDS.has(key) ? [] : [value]));
    throw oauthError(what, error, description, sent, status);
  }
  return json;
}
