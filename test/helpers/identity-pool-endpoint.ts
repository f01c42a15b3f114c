/**
 * A fake Cognito identity pool on `fetch`: GetId and GetCredentialsForIdentity as documented
 * (`application/x-amz-json-1.1`, `X-Amz-Target: AWSCognitoIdentityService.*`, `Expiration` in
 * epoch seconds), with guest and authenticated identities, the link of a guest identity to the
 * user whose `Logins` come with it (and the merge when the user already has one), and a record of
 * every call. `gate()` holds the next answers until released (a sign-out during a fetch).
 */
import { type IdentityPoolOptions, identityPool } from '../../src/adapters/identity-pool.js';

export const POOL_ID = 'eu-west-1:00000000-1111-2222-3333-444444444444';
export const LOGINS_KEY = 'cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Test';

export interface PoolCall {
  target: string;
  body: Record<string, unknown>;
}

function subOf(idToken: string): string {
  const payload = JSON.parse(Buffer.from(idToken.split('.')[1] ?? '', 'base64url').toString()) as { sub?: string };
  return String(payload.sub);
}

export function identityPoolEndpoint(opts: { now?: () => number; lifetimeS?: number } = {}) {
  const now = opts.now ?? (() => Date.now());
  const calls: PoolCall[] = [];
  /** Identity id → the user's sub (null: a guest's). */
  const identities = new Map<string, string | null>();
  const bySub = new Map<string, string>();
  /** Every secret key and session token handed out, in order. */
  const issued: { identityId: string; secretKey: string; sessionToken: string; accessKeyId: string }[] = [];
  let n = 0;
  let gates: { release: () => void; promise: Promise<void> }[] = [];
  let gated = false;
  const state = { failNext: null as null | { status: number; type: string } };

  const err = (status: number, type: string, message: string) => ({ status, body: { __type: type, message } });

  function loginSub(body: Record<string, unknown>): string | null | Error {
    const logins = body['Logins'] as Record<string, string> | undefined;
    if (!logins) return null;
    const token = logins[LOGINS_KEY];
    if (!token || Object.keys(logins).length !== 1) return new Error('unknown login provider');
    return subOf(token);
  }

  function answer(target: string, body: Record<string, unknown>): { status: number; body: unknown } {
    if (state.failNext) {
      const { status, type } = state.failNext;
      state.failNext = null;
      return err(status, type, 'failed as asked');
    }
    const sub = loginSub(body);
    if (sub instanceof Error) return err(400, 'NotAuthorizedException', 'Invalid login token.');
    if (target === 'AWSCognitoIdentityService.GetId') {
      if (body['IdentityPoolId'] !== POOL_ID) return err(400, 'ResourceNotFoundException', 'IdentityPool not found');
      if (sub === null) {
        const id = `eu-west-1:guest-${++n}`;
        identities.set(id, null);
        return { status: 200, body: { IdentityId: id } };
      }
      let id = bySub.get(sub);
      if (!id) {
        id = `eu-west-1:user-${++n}`;
        identities.set(id, sub);
        bySub.set(sub, id);
      }
      return { status: 200, body: { IdentityId: id } };
    }
    if (target === 'AWSCognitoIdentityService.GetCredentialsForIdentity') {
      let id = String(body['IdentityId']);
      if (!identities.has(id)) return err(400, 'ResourceNotFoundException', 'Identity not found');
      const owner = identities.get(id) ?? null;
      if (owner === null && sub !== null) {
        // A guest identity with the user's login: linked, or merged into the user's own.
        const own = bySub.get(sub);
        if (own) id = own;
        else {
          identities.set(id, sub);
          bySub.set(sub, id);
        }
      } else if (owner !== null && owner !== sub) {
        return err(400, 'NotAuthorizedException', 'Logins do not match the identity');
      }
      const k = issued.length + 1;
      const creds = {
        identityId: id,
        accessKeyId: `ASIAFAKE${String(k).padStart(8, '0')}`,
        secretKey: `secret-key-${k}-${id}-wJalrXUtnFEMI/K7MDENG`,
        sessionToken: `session-token-${k}-${id}-IQoJb3JpZ2luX2VjEJr`,
      };
      issued.push(creds);
      return {
        status: 200,
        body: {
          IdentityId: id,
          Credentials: {
            AccessKeyId: creds.accessKeyId,
            SecretKey: creds.secretKey,
            SessionToken: creds.sessionToken,
            Expiration: Math.floor(now() / 1000) + (opts.lifetimeS ?? 3600),
          },
        },
      };
    }
    return err(400, 'UnknownOperationException', 'unknown');
  }

  const fetch = async (_url: string | URL | Request, init?: RequestInit): Promise<Response> => {
    init?.signal?.throwIfAborted();
    const headers = new Headers(init?.headers);
    const target = headers.get('x-amz-target') ?? '';
    if (headers.get('content-type') !== 'application/x-amz-json-1.1') throw new Error('wrong content-type');
    const body = JSON.parse(String(init?.body)) as Record<string, unknown>;
    calls.push({ target, body });
    if (gated) {
      let release = () => {};
      const promise = new Promise<void>((r) => {
        release = r;
      });
      gates.push({ release, promise });
      await promise;
    }
    init?.signal?.throwIfAborted();
    const reply = answer(target, body);
    return new Response(JSON.stringify(reply.body), {
      status: reply.status,
      headers: { 'content-type': 'application/x-amz-json-1.1' },
    });
  };

  return {
    fetch: fetch as typeof globalThis.fetch,
    calls,
    issued,
    identities,
    state,
    /** Holds every answer from now until `release()`. */
    gate() {
      gated = true;
    },
    /** Lets every held answer go (and stops holding). */
    release() {
      gated = false;
      const held = gates;
      gates = [];
      for (const g of held) g.release();
    },
    heldCount: () => gates.length,
    provider(extra: Partial<IdentityPoolOptions> = {}) {
      return identityPool({
        identityPoolId: POOL_ID,
        endpoint: 'http://127.0.0.1:1/',
        fetch: fetch as typeof globalThis.fetch,
        retryDelayMs: 1,
        ...extra,
      });
    },
  };
}
