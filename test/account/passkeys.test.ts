/**
 * `registerPasskey`, `listPasskeys` and `deletePasskey` over the instance's transport, against an
 * endpoint that verifies the registration and every sign-in with `@simplewebauthn/server`; and
 * `browserPasskeys()` over a fake `navigator.credentials` (the real browser is test/e2e/passkeys).
 */
import { describe, expect, it } from 'vitest';
import { deletePasskey, listPasskeys, registerPasskey } from '../../src/account/index.js';
import { browserPasskeys } from '../../src/adapters/passkeys.js';
import { isAuthError } from '../../src/index.js';
import { PASSWORD, USERNAME, userAuthWorld } from '../helpers/user-auth-world.js';

const signal = () => new AbortController().signal;

describe('registerPasskey, listPasskeys, deletePasskey', () => {
  it('a passkey registered here signs in, is listed, and once deleted no longer signs in', async () => {
    const w = userAuthWorld();
    await w.auth.signIn({ username: USERNAME, password: PASSWORD, authFlow: 'USER_AUTH' });
    await registerPasskey(w.auth);
    const [passkey, ...rest] = await listPasskeys(w.auth);
    expect(rest).toEqual([]);
    expect(passkey).toMatchObject({ relyingPartyId: 'app.example', transports: ['internal'] });
    expect(passkey?.createdAt).toBeInstanceOf(Date);
    await w.auth.signOut();
    expect(await w.auth.signIn({ username: USERNAME, preferredChallenge: 'WEB_AUTHN' })).toEqual({
      status: 'signedIn',
    });
    await deletePasskey(w.auth, passkey?.credentialId ?? '');
    expect(await listPasskeys(w.auth)).toEqual([]);
    await w.auth.signOut();
    // The authenticator still holds it: the server refuses it (and offers no passkey any more).
    const offered = await w.auth.signIn({ username: USERNAME, preferredChallenge: 'WEB_AUTHN' });
    expect(offered).toMatchObject({ challenge: 'selectChallenge' });
    expect(offered.status === 'challenge' && offered.options).not.toContain('WEB_AUTHN');
  });

  it('signed out: NotSignedIn and no request; without passkeys: PasskeyUnsupported', async () => {
    const w = userAuthWorld();
    await expect(registerPasskey(w.auth)).rejects.toMatchObject({ code: 'NotSignedIn' });
    await expect(listPasskeys(w.auth)).rejects.toMatchObject({ code: 'NotSignedIn' });
    await expect(deletePasskey(w.auth, 'x')).rejects.toMatchObject({ code: 'NotSignedIn' });
    expect(w.endpoint.calls).toEqual([]);
    const bare = userAuthWorld({ passkeys: false });
    await bare.auth.signIn({ username: USERNAME, password: PASSWORD, authFlow: 'USER_AUTH' });
    await expect(registerPasskey(bare.auth)).rejects.toMatchObject({ code: 'PasskeyUnsupported' });
    await expect(deletePasskey(bare.auth, '')).rejects.toMatchObject({ code: 'InvalidInput' });
  });

  it('a cancelled prompt registers nothing: PasskeyCancelled, and CompleteWebAuthnRegistration is never sent', async () => {
    const w = userAuthWorld();
    await w.auth.signIn({ username: USERNAME, password: PASSWORD, authFlow: 'USER_AUTH' });
    w.authenticator.next = 'cancel';
    await expect(registerPasskey(w.auth)).rejects.toMatchObject({ code: 'PasskeyCancelled' });
    expect(w.endpoint.calls.map((c) => c.target)).not.toContain('CompleteWebAuthnRegistration');
    expect(await listPasskeys(w.auth)).toEqual([]);
  });

  it('a registration the endpoint refuses (a WebAuthn exception) is PasskeyUnsupported, nothing listed', async () => {
    const w = userAuthWorld();
    await w.auth.signIn({ username: USERNAME, password: PASSWORD, authFlow: 'USER_AUTH' });
    const real = w.authenticator.create.bind(w.authenticator);
    // The credential answers another challenge: the verifier refuses it (WebAuthnClientMismatchException).
    w.authenticator.create = async (request, signal) =>
      real(JSON.stringify({ ...JSON.parse(request), challenge: 'c3RhbGU' }), signal);
    const error = await registerPasskey(w.auth).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'PasskeyUnsupported', serviceName: 'WebAuthnClientMismatchException' });
    expect(await listPasskeys(w.auth)).toEqual([]);
  });

  it('stop() during the prompt aborts it: Cancelled', async () => {
    const w = userAuthWorld();
    await w.auth.signIn({ username: USERNAME, password: PASSWORD, authFlow: 'USER_AUTH' });
    w.authenticator.next = 'hang';
    const pending = registerPasskey(w.auth).catch((e: unknown) => e);
    await expect.poll(() => w.authenticator.prompts).toBe(1);
    w.auth.stop();
    expect(isAuthError(await pending, 'Cancelled')).toBe(true);
    expect(w.authenticator.aborted).toBe(1);
  });
});

/** A `navigator.credentials` that records what it was asked and answers like a browser. */
function fakeBrowser(answer: () => unknown, withJSONHelpers: boolean) {
  const asked: CredentialRequestOptions[] = [];
  const container = {
    get: async (o: CredentialRequestOptions) => {
      asked.push(o);
      return answer();
    },
    create: async (o: CredentialCreationOptions) => {
      asked.push(o as CredentialRequestOptions);
      return answer();
    },
  };
  const PKC = withJSONHelpers ? { parseRequestOptionsFromJSON: (j: unknown) => ({ parsed: j }) as never } : {};
  return { browser: { credentials: container as never, PublicKeyCredential: PKC }, asked };
}

const bytes = (...b: number[]) => new Uint8Array(b).buffer;

describe('browserPasskeys()', () => {
  it('without parse*FromJSON: challenge and ids become bytes, the assertion its JSON form', async () => {
    const assertion = {
      id: 'AQID',
      rawId: bytes(1, 2, 3),
      type: 'public-key',
      authenticatorAttachment: 'platform',
      getClientExtensionResults: () => ({}),
      response: {
        clientDataJSON: bytes(123, 125),
        authenticatorData: bytes(0xff, 0xfe),
        signature: bytes(0xfb),
        userHandle: null,
      },
    };
    const { browser, asked } = fakeBrowser(() => assertion, false);
    const json = await browserPasskeys(browser).get(
      JSON.stringify({ challenge: '-_8', rpId: 'app.example', allowCredentials: [{ id: 'AQID', type: 'public-key' }] }),
      signal(),
    );
    const publicKey = asked[0]?.publicKey as PublicKeyCredentialRequestOptions;
    expect(new Uint8Array(publicKey.challenge as ArrayBuffer)).toEqual(new Uint8Array([0xfb, 0xff]));
    expect(new Uint8Array(publicKey.allowCredentials?.[0]?.id as ArrayBuffer)).toEqual(new Uint8Array([1, 2, 3]));
    expect(JSON.parse(json)).toEqual({
      id: 'AQID',
      rawId: 'AQID',
      type: 'public-key',
      authenticatorAttachment: 'platform',
      clientExtensionResults: {},
      response: { clientDataJSON: 'e30', authenticatorData: '__4', signature: '-w' },
    });
  });

  it('with the browser’s own JSON helpers they are used, and toJSON() answers', async () => {
    const { browser, asked } = fakeBrowser(() => ({ toJSON: () => ({ id: 'from-browser' }) }), true);
    const json = await browserPasskeys(browser).get('{"challenge":"AA"}', signal());
    expect(asked[0]?.publicKey).toEqual({ parsed: { challenge: 'AA' } });
    expect(JSON.parse(json)).toEqual({ id: 'from-browser' });
  });

  it('a refused prompt is PasskeyCancelled, no WebAuthn PasskeyUnsupported, anything else Service', async () => {
    const fail = (name: string) => () => {
      throw Object.assign(new Error(`${name}!`), { name });
    };
    const code = (p: Promise<unknown>) =>
      p.then(
        () => 'resolved',
        (e: unknown) => (isAuthError(e) ? e.code : e),
      );
    expect(await code(browserPasskeys(fakeBrowser(fail('NotAllowedError'), true).browser).get('{}', signal()))).toBe(
      'PasskeyCancelled',
    );
    expect(await code(browserPasskeys(fakeBrowser(() => null, true).browser).get('{}', signal()))).toBe(
      'PasskeyCancelled',
    );
    expect(await code(browserPasskeys(fakeBrowser(fail('SecurityError'), true).browser).get('{}', signal()))).toBe(
      'PasskeyUnsupported',
    );
    expect(await code(browserPasskeys(fakeBrowser(fail('UnknownError'), true).browser).get('{}', signal()))).toBe(
      'Service',
    );
    // Node has no navigator.credentials.
    expect(await code(browserPasskeys().create('{}', signal()))).toBe('PasskeyUnsupported');
  });
});
