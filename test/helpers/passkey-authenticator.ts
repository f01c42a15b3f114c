/**
 * A software passkey authenticator for Node tests: it makes real ES256 credentials and real
 * WebAuthn responses (clientDataJSON, authenticator data, signatures), in WebAuthn Level 3's JSON
 * forms, so that a maintained verifier (`@simplewebauthn/server`) can check them. It implements
 * authchart's `PasskeyAuthenticator`; the browser tests use Chromium's virtual authenticator instead.
 */
import { createHash, createPublicKey, generateKeyPairSync, type KeyObject, randomBytes, sign } from 'node:crypto';
import { isoCBOR } from '@simplewebauthn/server/helpers';
import { AuthError } from '../../src/errors.js';
import type { PasskeyAuthenticator } from '../../src/services/types.js';

const b64url = (bytes: Uint8Array | string) => Buffer.from(bytes).toString('base64url');
const sha256 = (data: Uint8Array | string) => createHash('sha256').update(data).digest();

interface Credential {
  id: Buffer;
  rpId: string;
  userHandle: string;
  privateKey: KeyObject;
  counter: number;
}

export interface SoftwareAuthenticator extends PasskeyAuthenticator {
  /** The credentials it holds (a passkey deleted at the server stays here, as on a real device). */
  readonly credentials: readonly Credential[];
  /** What the next prompt does: answer, cancel (NotAllowedError → PasskeyCancelled), or wait until aborted. */
  next: 'answer' | 'cancel' | 'hang';
  /** Prompts shown so far, and how many a signal aborted. */
  prompts: number;
  aborted: number;
}

/** The COSE_Key of an ES256 public key (kty EC2, alg -7, crv P-256). */
function coseKey(publicKey: KeyObject): Uint8Array {
  const jwk = publicKey.export({ format: 'jwk' });
  const coord = (v: string | undefined) => new Uint8Array(Buffer.from(v ?? '', 'base64url'));
  return isoCBOR.encode(
    new Map<number, number | Uint8Array>([
      [1, 2],
      [3, -7],
      [-1, 1],
      [-2, coord(jwk.x)],
      [-3, coord(jwk.y)],
    ]),
  );
}

function authenticatorData(rpId: string, flags: number, counter: number, attested?: Buffer): Buffer {
  const count = Buffer.alloc(4);
  count.writeUInt32BE(counter);
  return Buffer.concat([sha256(rpId), Buffer.from([flags]), count, ...(attested ? [attested] : [])]);
}

/** A software authenticator answering for `origin` (the page a browser would report). */
export function softwareAuthenticator(origin: string): SoftwareAuthenticator {
  const credentials: Credential[] = [];

  async function prompt(signal: AbortSignal): Promise<void> {
    self.prompts++;
    signal.throwIfAborted();
    if (self.next === 'cancel') throw new AuthError('PasskeyCancelled', 'The passkey prompt was cancelled');
    if (self.next === 'hang') {
      await new Promise<never>((_, reject) =>
        signal.addEventListener('abort', () => {
          self.aborted++;
          reject(new AuthError('PasskeyCancelled', 'The passkey prompt was aborted'));
        }),
      );
    }
  }

  const clientData = (type: string, challenge: string) =>
    Buffer.from(JSON.stringify({ type, challenge, origin, crossOrigin: false }));

  const self: SoftwareAuthenticator = {
    credentials,
    next: 'answer',
    prompts: 0,
    aborted: 0,
    async create(request, signal) {
      await prompt(signal);
      const options = JSON.parse(request) as { challenge: string; rp: { id: string }; user: { id: string } };
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const id = randomBytes(16);
      credentials.push({ id, rpId: options.rp.id, userHandle: options.user.id, privateKey, counter: 0 });
      const length = Buffer.alloc(2);
      length.writeUInt16BE(id.length);
      const attested = Buffer.concat([Buffer.alloc(16), length, id, coseKey(createPublicKey(privateKey))]);
      // User present, user verified, attested credential data.
      const authData = authenticatorData(options.rp.id, 0x45, 0, attested);
      const attestationObject = isoCBOR.encode(
        new Map<string, unknown>([
          ['fmt', 'none'],
          ['attStmt', new Map()],
          ['authData', new Uint8Array(authData)],
        ]) as never,
      );
      return JSON.stringify({
        id: b64url(id),
        rawId: b64url(id),
        type: 'public-key',
        response: {
          clientDataJSON: b64url(clientData('webauthn.create', options.challenge)),
          attestationObject: b64url(attestationObject),
          transports: ['internal'],
        },
        clientExtensionResults: {},
        authenticatorAttachment: 'platform',
      });
    },
    async get(request, signal) {
      await prompt(signal);
      const options = JSON.parse(request) as {
        challenge: string;
        rpId: string;
        allowCredentials?: { id: string }[];
      };
      const allowed = options.allowCredentials?.map((c) => c.id);
      const credential = credentials.find(
        (c) => c.rpId === options.rpId && (!allowed?.length || allowed.includes(b64url(c.id))),
      );
      if (!credential) throw new AuthError('PasskeyCancelled', 'No passkey for this site on this authenticator');
      credential.counter++;
      const authData = authenticatorData(options.rpId, 0x05, credential.counter);
      const clientDataJSON = clientData('webauthn.get', options.challenge);
      const signature = sign('sha256', Buffer.concat([authData, sha256(clientDataJSON)]), credential.privateKey);
      return JSON.stringify({
        id: b64url(credential.id),
        rawId: b64url(credential.id),
        type: 'public-key',
        response: {
          clientDataJSON: b64url(clientDataJSON),
          authenticatorData: b64url(authData),
          signature: b64url(signature),
          userHandle: credential.userHandle,
        },
        clientExtensionResults: {},
        authenticatorAttachment: 'platform',
      });
    },
  };
  return self;
}
