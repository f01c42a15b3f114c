/**
 * A fake HostedUI for chart-level tests. The OAuth checks are the real adapter's (state, error
 * parameter, nonce, audience), run against a fake token endpoint that honours PKCE and accepts each
 * code once; what the test decides is the opener, `/logout` and `leavesPage`.
 */
import { createHash, randomBytes } from 'node:crypto';
import { UnsecuredJWT } from 'jose';
import { hostedUI } from '../../src/adapters/hosted-ui.js';
import type { HostedUI, OpenUrlPurpose, Tokens } from '../../src/index.js';
import { makeTokens, TEST_ISSUER } from '../helpers/tokens.js';

export const REDIRECT_URI = 'https://app.test/callback';
export const LOGOUT_URI = 'https://app.test/';

type Script = { ok: string | undefined } | { error: unknown } | 'hang';

export interface FakeHostedUI extends HostedUI {
  /** Everything the chart asked of the hosted UI, and the fake token endpoint's requests, in order. */
  log: string[];
  opened: Array<{ url: string; purpose: OpenUrlPurpose }>;
  /** What `openUrl('…', 'signIn')` answers: `undefined` (the page leaves), a URL, or a failure. */
  script: { openUrl: Script; signOut: Script };
  /** The tokens the token endpoint hands out: the access token's `scope`. */
  scope: string | undefined;
  /** Runs on every openUrl/signOut call, before it answers (to look at storage at that moment). */
  onCall?: (what: 'openUrl' | 'signOut') => void;
  /** Plays the user signing in on the hosted UI: the callback URL for an authorize URL. */
  login(authorizeUrl: string): string;
  /** The tokens issued for the last code exchanged. */
  issued: Tokens[];
}

function answer(script: Script, signal?: AbortSignal): Promise<string | undefined> {
  if (script === 'hang') {
    return new Promise((_, reject) => signal?.addEventListener('abort', () => reject(signal.reason), { once: true }));
  }
  return 'error' in script ? Promise.reject(script.error) : Promise.resolve(script.ok);
}

const b64url = (b: Buffer) => b.toString('base64url');

/** A fake hosted UI for the services' clientId (`client123` in the shared fakes). */
export function fakeHostedUI(options: { leavesPage: boolean; clientId?: string }): FakeHostedUI {
  const clientId = options.clientId ?? 'client123';
  const codes = new Map<string, { nonce: string; challenge: string; used: boolean }>();

  /** The token endpoint: PKCE S256 checked, a code works once (`invalid_grant` after), tokens with `scope`. */
  const tokenEndpoint: typeof fetch = async (input, init) => {
    fake.log.push(`fetch ${new URL(String(input)).pathname}`);
    const form = new URLSearchParams(String(init?.body));
    const grant = codes.get(form.get('code') ?? '');
    const verifier = form.get('code_verifier') ?? '';
    if (!grant || grant.used || b64url(createHash('sha256').update(verifier).digest()) !== grant.challenge) {
      if (grant) grant.used = true;
      return Response.json({ error: 'invalid_grant', error_description: 'code refused' }, { status: 400 });
    }
    grant.used = true;
    const tokens = makeTokens({
      username: 'alice',
      clientId,
      ...(fake.scope === undefined ? {} : { scope: fake.scope }),
    });
    const now = Math.floor(Date.now() / 1000);
    const idToken = new UnsecuredJWT({
      'cognito:username': 'alice',
      email: 'alice@example.com',
      sub: 'sub-alice',
      iss: TEST_ISSUER,
      token_use: 'id',
      aud: clientId,
      nonce: grant.nonce,
    })
      .setIssuedAt(now)
      .setExpirationTime(now + 3600)
      .encode();
    const issued = { ...tokens, idToken };
    fake.issued.push(issued);
    return Response.json({
      access_token: issued.accessToken,
      id_token: issued.idToken,
      refresh_token: issued.refreshToken,
      token_type: 'Bearer',
      expires_in: 3600,
    });
  };

  const real = hostedUI({
    domain: 'https://auth.test',
    clientId,
    redirectUri: REDIRECT_URI,
    logoutUri: LOGOUT_URI,
    openUrl: () => undefined,
    fetch: tokenEndpoint,
  });

  const fake: FakeHostedUI = {
    clientId,
    leavesPage: options.leavesPage,
    log: [],
    opened: [],
    issued: [],
    script: { openUrl: { ok: undefined }, signOut: { ok: undefined } },
    scope: undefined,
    createAuthorization(request) {
      fake.log.push('createAuthorization');
      return real.createAuthorization(request);
    },
    async openUrl(url, purpose, signal) {
      fake.log.push(`openUrl ${purpose}`);
      fake.opened.push({ url, purpose });
      fake.onCall?.('openUrl');
      return answer(fake.script.openUrl, signal);
    },
    exchangeCode(url, transaction, signal) {
      fake.log.push('exchangeCode');
      return real.exchangeCode(url, transaction, signal);
    },
    async signOut(signal) {
      fake.log.push('signOut');
      fake.onCall?.('signOut');
      await answer(fake.script.signOut, signal);
    },
    login(authorizeUrl) {
      const params = new URL(authorizeUrl).searchParams;
      const code = b64url(randomBytes(16));
      codes.set(code, {
        nonce: params.get('nonce') ?? '',
        challenge: params.get('code_challenge') ?? '',
        used: false,
      });
      const back = new URL(params.get('redirect_uri') ?? REDIRECT_URI);
      back.searchParams.set('code', code);
      back.searchParams.set('state', params.get('state') ?? '');
      return back.href;
    },
  };
  return fake;
}
