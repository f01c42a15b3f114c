/**
 * What a state-changing request must show before the BFF reads its body.
 *
 * Why not `hono/csrf`: it lets a request through when *either* `Sec-Fetch-Site` *or* `Origin`
 * passes, and it checks only form-like content types (`text/plain`, urlencoded, multipart), leaving
 * `application/json` unchecked on the grounds that a cross-site page needs a CORS preflight to send
 * it. Here every non-GET request must be JSON (415 otherwise), so `hono/csrf` would never fire; and
 * both headers, when the browser sends them, must say "this app" (403 otherwise). Its default
 * origin (the request URL's) is the one kept here.
 */
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context, MiddlewareHandler } from 'hono';

/** `application/json`, optionally with `charset=utf-8` (JSON is UTF-8: RFC 8259). */
const JSON_TYPE = /^application\/json\s*(?:;\s*charset\s*=\s*"?utf-8"?\s*)?$/i;
const SAFE_METHOD = /^(?:GET|HEAD)$/;

export interface Refusal {
  status: 403 | 415;
  error: 'cross_site_request' | 'unsupported_media_type';
  message: string;
}

/**
 * The request's origin as this server sees it: `http://<Host>` on plain HTTP. Behind a proxy that
 * terminates TLS the browser's origin is `https://…`, so set the origins explicitly there.
 */
const ownOrigin = (c: Context) => new URL(c.req.url).origin;

/**
 * Why a non-GET request is refused, or `null`:
 * - `Origin`, when present, must be one of `origins` (default: the request's own origin). Browsers
 *   send it on every POST, `null` included (sandboxed frames, some redirects), which is refused.
 * - `Sec-Fetch-Site`, when present, must be `same-origin`. `same-site` is refused: a sibling
 *   subdomain is another app, and SameSite=Lax does not keep the cookie from it. `none` (a
 *   navigation the user started: typed address, bookmark) is refused too: the app's own page sends
 *   its POSTs with `fetch`, which says `same-origin`.
 * - `Content-Type` must be JSON: a cross-site page can send `text/plain`, urlencoded or multipart
 *   bodies with a plain form or `fetch(…, { mode: 'no-cors' })`, never JSON without a preflight
 *   (which this server never grants).
 * Absent headers pass: non-browser clients (curl, other services) send neither, and they hold no
 * victim's cookie.
 */
export function refuseRequest(c: Context, origins: readonly string[] | undefined): Refusal | null {
  if (SAFE_METHOD.test(c.req.method)) return null;
  const origin = c.req.header('origin');
  if (origin !== undefined && !(origins ?? [ownOrigin(c)]).includes(origin)) {
    return { status: 403, error: 'cross_site_request', message: 'This origin may not call this app.' };
  }
  const site = c.req.header('sec-fetch-site');
  if (site !== undefined && site !== 'same-origin') {
    return { status: 403, error: 'cross_site_request', message: 'Only the app’s own pages may call this route.' };
  }
  if (!JSON_TYPE.test(c.req.header('content-type') ?? '')) {
    return { status: 415, error: 'unsupported_media_type', message: 'Send the body as application/json.' };
  }
  return null;
}

/** A middleware answering `refuseRequest`'s refusals as JSON `{ error, message }`. */
export function requestGuard(origins: readonly string[] | undefined): MiddlewareHandler {
  return async (c, next) => {
    const refusal = refuseRequest(c, origins);
    if (refusal) return c.json({ error: refusal.error, message: refusal.message }, refusal.status);
    await next();
  };
}

/**
 * The client's address: the socket's peer, unless `proxyHops` proxies of yours stand in front, in
 * which case the address the outermost of them saw (counted from the right of X-Forwarded-For,
 * whose left part anyone can write).
 *
 * @example
 * clientAddress(c, 0); // '127.0.0.1'
 */
export function clientAddress(c: Context, proxyHops: number): string {
  const socket = getConnInfo(c).remote.address ?? 'unknown';
  if (proxyHops === 0) return socket;
  const forwarded = (c.req.header('x-forwarded-for') ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const chain = [socket, ...forwarded.reverse()];
  return chain[Math.min(proxyHops, chain.length - 1)] ?? socket;
}
