/** A fake `fetch` speaking Cognito's JSON protocol, for the `authchart/cognito` unit tests. */
import { createHmac } from 'node:crypto';
import { expect } from 'vitest';
import { type CognitoServicesOptions, cognitoServices } from '../../src/adapters/cognito/index.js';
import type { AuthError } from '../../src/index.js';
import { makeTokens } from './tokens.js';

export interface Call {
  url: string;
  target: string;
  headers: Record<string, string>;
  body: Record<string, unknown>;
}
export type Reply = { status?: number; body?: unknown } | Error;
export type Handler = (call: Call, n: number) => Reply | Promise<Reply>;

/** A fake fetch that records every request and answers with `handler`. */
export function fakeFetch(handler: Handler) {
  const calls: Call[] = [];
  const fetch = async (url: string | URL | Request, init?: RequestInit): Promise<Response> => {
    init?.signal?.throwIfAborted();
    const headers: Record<string, string> = {};
    new Headers(init?.headers).forEach((value, key) => {
      headers[key] = value;
    });
    const call: Call = {
      url: String(url),
      target: headers['x-amz-target'] ?? '',
      headers,
      body: JSON.parse(String(init?.body)) as Record<string, unknown>,
    };
    calls.push(call);
    const reply = await handler(call, calls.length);
    if (reply instanceof Error) throw reply;
    return new Response(JSON.stringify(reply.body ?? {}), {
      status: reply.status ?? 200,
      headers: { 'content-type': 'application/x-amz-json-1.1' },
    });
  };
  return { fetch: fetch as typeof globalThis.fetch, calls };
}

export const tokens = makeTokens({ username: 'internal-alice' });
export const RESULT = {
  AuthenticationResult: { AccessToken: tokens.accessToken, IdToken: tokens.idToken, RefreshToken: tokens.refreshToken },
};
export const fault = (type: string, status = 400, message = `${type} happened`) => ({
  status,
  body: { __type: type, message },
});
export { signal } from './async.js';
export const make = (handler: Handler, extra: Partial<CognitoServicesOptions> = {}) => {
  const f = fakeFetch(handler);
  const services = cognitoServices({
    clientId: 'client-1',
    region: 'eu-west-1',
    authFlow: 'USER_PASSWORD_AUTH',
    fetch: f.fetch,
    retryDelayMs: 5,
    ...extra,
  });
  return { services, calls: f.calls };
};
export const failure = (p: Promise<unknown>) =>
  p.then(() => expect.fail('expected a rejection')).catch((e: unknown) => e as AuthError);
export const hmac = (secret: string, text: string) => createHmac('sha256', secret).update(text).digest('base64');
