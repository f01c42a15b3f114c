/**
 * The demo's hosted-UI side: its own auth instance (its own app client, so its keys never mix with
 * the password sign-in's), the page's configuration kept across the trips to the hosted UI, and the
 * handling of the redirect that comes back.
 */
import { hostedUI, hostedUIServices } from '../../src/adapters/hosted-ui.js';
import { type Auth, type CreateAuthOptions, createAuth, webStorage } from '../../src/index.js';

/** Registered on the app client as its callback and sign-out URLs (the demo server serves the page there). */
export const CALLBACK_PATH = '/callback';
export const SIGNED_OUT_PATH = '/signed-out';

const CONFIG_KEY = 'authchart-demo.query';
const LAST_RESULT_KEY = 'authchart-demo.lastResult';

/**
 * The page's query string. The hosted UI sends the user back to `/callback?code=…&state=…` or
 * `/signed-out`, without it: the last one seen in this tab is kept in sessionStorage.
 */
export function demoParams(): URLSearchParams {
  const here = new URLSearchParams(location.search);
  if (here.has('clientId') || here.has('hostedClientId')) {
    sessionStorage.setItem(CONFIG_KEY, here.toString());
    return here;
  }
  return new URLSearchParams(sessionStorage.getItem(CONFIG_KEY) ?? '');
}

/** The page's own URL, without anything the hosted UI added. */
export const homeUrl = (params: URLSearchParams) => `/?${params}`;

/** `?hostedDomain=…&hostedClientId=…` make a second auth instance that signs in through the hosted UI. */
export function createHostedAuth(
  params: URLSearchParams,
  common: Omit<CreateAuthOptions, 'services' | 'hostedUI'>,
): Auth | null {
  const domain = params.get('hostedDomain');
  const clientId = params.get('hostedClientId');
  if (!domain || !clientId) return null;
  const options = {
    domain,
    clientId,
    redirectUri: `${location.origin}${CALLBACK_PATH}`,
    logoutUri: `${location.origin}${SIGNED_OUT_PATH}`,
  };
  return createAuth({
    ...common,
    // No password sign-in on this client: refresh and revoke go to the hosted UI's OAuth endpoints.
    services: hostedUIServices(options),
    hostedUI: hostedUI(options),
    storage: webStorage(localStorage),
  });
}

/** The URL carries the hosted UI's answer: a `code` or an `error`. */
export function carriesRedirect(url: string): boolean {
  const params = new URL(url).searchParams;
  return params.has('code') || params.has('error');
}

/**
 * A sign-out result kept across the trip to `/logout` (the page leaves right after a hosted-UI
 * sign-out), shown by the page that comes back.
 */
export const lastResult = {
  keep: (json: string) => sessionStorage.setItem(LAST_RESULT_KEY, json),
  take(): string | null {
    const json = sessionStorage.getItem(LAST_RESULT_KEY);
    sessionStorage.removeItem(LAST_RESULT_KEY);
    return json;
  },
};
