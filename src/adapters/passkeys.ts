/**
 * `authchart/passkeys`: the browser's WebAuthn ceremonies for `createAuth({ passkeys })` and
 * `authchart/account`'s `registerPasskey`. Cognito sends and takes WebAuthn Level 3's JSON forms;
 * where the browser has `PublicKeyCredential.parseRequestOptionsFromJSON` and `toJSON()` they are
 * used, else the few binary fields are converted here (base64url ⇄ ArrayBuffer).
 */
import { AuthError } from '../errors.js';
import type { PasskeyAuthenticator } from '../services/types.js';

type Json = Record<string, unknown>;

/** The parts of the browser this needs (injectable for tests and for frames). */
export interface PasskeyBrowser {
  credentials?: Pick<CredentialsContainer, 'get' | 'create'>;
  PublicKeyCredential?: {
    parseRequestOptionsFromJSON?(options: unknown): PublicKeyCredentialRequestOptions;
    parseCreationOptionsFromJSON?(options: unknown): PublicKeyCredentialCreationOptions;
  };
}

const toBuffer = (b64url: unknown): ArrayBuffer => {
  const text = atob(String(b64url).replace(/-/g, '+').replace(/_/g, '/'));
  return Uint8Array.from(text, (c) => c.charCodeAt(0)).buffer;
};
const fromBuffer = (buffer: ArrayBuffer | null | undefined): string | undefined =>
  buffer
    ? btoa(String.fromCharCode(...new Uint8Array(buffer)))
        .replace(/\+/g, '-')
        .replace(/\//g, '_')
        .replace(/=+$/, '')
    : undefined;

const withIds = (list: unknown) =>
  Array.isArray(list) ? list.map((c: Json) => ({ ...c, id: toBuffer(c['id']) })) : undefined;

/** WebAuthn Level 3's JSON of a credential, from `toJSON()` or field by field. */
function credentialJSON(credential: PublicKeyCredential): string {
  if (typeof credential.toJSON === 'function') return JSON.stringify(credential.toJSON());
  // One of the two response types: the other's fields are absent (undefined, left out of the JSON).
  const r = credential.response as Partial<AuthenticatorAssertionResponse & AuthenticatorAttestationResponse>;
  const response: Json = {
    clientDataJSON: fromBuffer(r.clientDataJSON),
    attestationObject: fromBuffer(r.attestationObject),
    transports: r.getTransports?.(),
    authenticatorData: fromBuffer(r.authenticatorData),
    signature: fromBuffer(r.signature),
    userHandle: fromBuffer(r.userHandle),
  };
  return JSON.stringify({
    id: credential.id,
    rawId: fromBuffer(credential.rawId),
    type: credential.type,
    response,
    clientExtensionResults: credential.getClientExtensionResults?.() ?? {},
    authenticatorAttachment: credential.authenticatorAttachment ?? undefined,
  });
}

/** A refused or cancelled prompt is the user's answer; anything else says what the browser said. */
function ceremonyError(error: unknown, what: string): AuthError {
  const name = (error as { name?: unknown } | null)?.name;
  if (name === 'NotAllowedError' || name === 'AbortError') {
    return new AuthError('PasskeyCancelled', `${what}: the prompt was cancelled or refused`, { cause: error });
  }
  if (name === 'NotSupportedError' || name === 'SecurityError') {
    return new AuthError('PasskeyUnsupported', `${what}: ${String(name)}`, { cause: error });
  }
  return error instanceof AuthError ? error : new AuthError('Service', `${what} failed`, { cause: error });
}

/**
 * The browser's passkeys (`navigator.credentials`), for `createAuth({ passkeys: browserPasskeys() })`.
 * Where WebAuthn is absent each ceremony rejects `PasskeyUnsupported`.
 *
 * @example
 * ```ts
 * import { createAuth } from 'authchart';
 * import { browserPasskeys } from 'authchart/passkeys';
 * declare const services: import('authchart').AuthServices;
 * const auth = createAuth({ services, passkeys: browserPasskeys() });
 * await auth.signIn({ username: 'alice@example.com', preferredChallenge: 'WEB_AUTHN' });
 * ```
 */
export function browserPasskeys(browser: PasskeyBrowser = {}): PasskeyAuthenticator {
  const env = () => {
    const container = browser.credentials ?? globalThis.navigator?.credentials;
    const PKC =
      browser.PublicKeyCredential ??
      (globalThis as { PublicKeyCredential?: PasskeyBrowser['PublicKeyCredential'] }).PublicKeyCredential;
    if (!container || !PKC) throw new AuthError('PasskeyUnsupported', 'This browser has no WebAuthn (passkeys)');
    return { container, PKC };
  };
  const run = async (what: string, ceremony: () => Promise<Credential | null>): Promise<string> => {
    let credential: Credential | null;
    try {
      credential = await ceremony();
    } catch (error) {
      throw ceremonyError(error, what);
    }
    if (!credential) throw new AuthError('PasskeyCancelled', `${what}: no credential was chosen`);
    return credentialJSON(credential as PublicKeyCredential);
  };
  return {
    get(request, signal) {
      return run('The passkey sign-in', () => {
        const { container, PKC } = env();
        const json = JSON.parse(request) as Json;
        const publicKey = PKC.parseRequestOptionsFromJSON
          ? PKC.parseRequestOptionsFromJSON(json)
          : ({
              ...json,
              challenge: toBuffer(json['challenge']),
              allowCredentials: withIds(json['allowCredentials']),
            } as PublicKeyCredentialRequestOptions);
        return container.get({ publicKey, signal });
      });
    },
    create(request, signal) {
      return run('The passkey registration', () => {
        const { container, PKC } = env();
        const json = JSON.parse(request) as Json;
        const user = json['user'] as Json;
        const publicKey = PKC.parseCreationOptionsFromJSON
          ? PKC.parseCreationOptionsFromJSON(json)
          : ({
              ...json,
              challenge: toBuffer(json['challenge']),
              user: { ...user, id: toBuffer(user['id']) },
              excludeCredentials: withIds(json['excludeCredentials']),
            } as PublicKeyCredentialCreationOptions);
        return container.create({ publicKey, signal });
      });
    },
  };
}
