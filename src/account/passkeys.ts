/**
 * The signed-in user's passkeys: register one (Cognito's StartWebAuthnRegistration, the
 * authenticator's `create`, CompleteWebAuthnRegistration), list them, delete one. The WebAuthn
 * ceremony runs through `createAuth({ passkeys })`, bounded like any user interaction
 * (`timeouts.hostedUIMs`) and cut off by `stop()`.
 */
import { AuthError } from '../errors.js';
import type { Auth } from '../public-types.js';
import { depsOf, given, userCall } from './call.js';

/** One passkey of the user (Cognito's `WebAuthnCredentialDescription`). */
export interface PasskeyDescription {
  credentialId: string;
  friendlyName?: string;
  relyingPartyId?: string;
  authenticatorAttachment?: string;
  transports: string[];
  createdAt?: Date;
}

const text = (value: unknown, max = 1024) => (typeof value === 'string' ? value.slice(0, max) : undefined);

/**
 * Registers a passkey for the signed-in user on this device. Rejects `NotSignedIn` while signed
 * out, `PasskeyUnsupported` without `createAuth({ passkeys })` or WebAuthn, `PasskeyCancelled` when
 * the user cancels the prompt (nothing registered).
 *
 * @example
 * ```ts
 * import { registerPasskey } from 'authchart/account';
 * declare const auth: import('authchart').Auth;
 * await registerPasskey(auth);
 * ```
 */
export async function registerPasskey(auth: Auth): Promise<void> {
  const deps = depsOf(auth, 'registerPasskey');
  const { passkeys } = deps;
  if (!passkeys) throw new AuthError('PasskeyUnsupported', 'registerPasskey needs createAuth({ passkeys })');
  const started = await userCall(auth, 'StartWebAuthnRegistration', {});
  const options = started['CredentialCreationOptions'];
  if (!options || typeof options !== 'object') {
    throw new AuthError('Service', 'StartWebAuthnRegistration answered without CredentialCreationOptions');
  }
  const controller = new AbortController();
  const ms = auth.actor.getSnapshot().context.config.hostedUIMs;
  const timer = setTimeout(
    () => controller.abort(new AuthError('Timeout', `The passkey prompt did not end within ${ms} ms`)),
    ms,
  );
  (timer as { unref?: () => void }).unref?.();
  const onStop = () => controller.abort(new AuthError('Cancelled', 'registerPasskey: the instance was stopped'));
  deps.stopped?.addEventListener('abort', onStop, { once: true });
  let credential: string;
  try {
    if (deps.stopped?.aborted) onStop();
    credential = await passkeys.create(JSON.stringify(options), controller.signal);
  } catch (error) {
    // The bound or stop() ended the prompt: say that, not what the authenticator made of the abort.
    const reason: unknown = controller.signal.reason;
    throw deps.secrets?.safeError(reason ?? error, 'The passkey registration') ?? reason ?? error;
  } finally {
    clearTimeout(timer);
    deps.stopped?.removeEventListener('abort', onStop);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(credential);
  } catch {
    throw new AuthError('Service', 'The authenticator answered no credential JSON');
  }
  await userCall(auth, 'CompleteWebAuthnRegistration', { Credential: parsed });
}

/** The signed-in user's passkeys (Cognito's ListWebAuthnCredentials, every page). */
export async function listPasskeys(auth: Auth): Promise<PasskeyDescription[]> {
  const out: PasskeyDescription[] = [];
  let next: string | undefined;
  // Bounded: a server that always answers a NextToken does not keep this loop going.
  for (let page = 0; page < 20; page++) {
    const answer = await userCall(auth, 'ListWebAuthnCredentials', next ? { NextToken: next } : {});
    const list = Array.isArray(answer['Credentials']) ? answer['Credentials'] : [];
    for (const raw of list.slice(0, 100)) {
      const c = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
      const credentialId = text(c['CredentialId']);
      if (!credentialId) continue;
      const created = c['CreatedAt'];
      const passkey: PasskeyDescription = {
        credentialId,
        transports: Array.isArray(c['AuthenticatorTransports'])
          ? c['AuthenticatorTransports'].filter((t): t is string => typeof t === 'string').slice(0, 8)
          : [],
      };
      const friendlyName = text(c['FriendlyCredentialName'], 256);
      if (friendlyName !== undefined) passkey.friendlyName = friendlyName;
      const rp = text(c['RelyingPartyId'], 256);
      if (rp !== undefined) passkey.relyingPartyId = rp;
      const attachment = text(c['AuthenticatorAttachment'], 32);
      if (attachment !== undefined) passkey.authenticatorAttachment = attachment;
      if (typeof created === 'number' && Number.isFinite(created)) passkey.createdAt = new Date(created * 1000);
      out.push(passkey);
    }
    next = text(answer['NextToken']);
    if (!next) break;
  }
  return out;
}

/** Deletes one of the signed-in user's passkeys (the authenticator keeps its copy: it can no longer sign in). */
export async function deletePasskey(auth: Auth, credentialId: string): Promise<void> {
  await userCall(auth, 'DeleteWebAuthnCredential', { CredentialId: given(credentialId, 'credentialId') });
}
