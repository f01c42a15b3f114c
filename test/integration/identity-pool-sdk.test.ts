/**
 * SigV4 is the AWS SDK's job (docs/identity-pool.md): `credentials: () => auth.fetchCredentials()`
 * handed to one real SDK v3 client (Firehose, installed here), against a local endpoint that checks
 * each request's signature with the SDK's own signer (`@smithy/signature-v4`) and the secret key
 * the fake identity pool issued for the request's access key id.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Sha256 } from '@aws-crypto/sha256-js';
import { FirehoseClient, ListDeliveryStreamsCommand } from '@aws-sdk/client-firehose';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuth } from '../../src/index.js';
import { fakeServices } from '../helpers/fakes.js';
import { identityPoolEndpoint } from '../helpers/identity-pool-endpoint.js';
import { makeTokens } from '../helpers/tokens.js';

const REGION = 'eu-west-1';
const pool = identityPoolEndpoint();
/** What the endpoint saw: each request's access key id and whether its signature checked out. */
const seen: { accessKeyId: string; valid: boolean; sessionToken: string | undefined }[] = [];
let server: Server;
let endpoint = '';

const body = (req: IncomingMessage) =>
  new Promise<string>((resolve) => {
    let text = '';
    req.on('data', (c: Buffer) => {
      text += c.toString();
    });
    req.on('end', () => resolve(text));
  });

/** Signs the request again with the issued secret key, over the headers it says it signed, and compares. */
async function verify(req: IncomingMessage, payload: string): Promise<{ accessKeyId: string; valid: boolean }> {
  const auth = String(req.headers.authorization ?? '');
  const m =
    /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(
      auth,
    );
  if (!m) return { accessKeyId: '', valid: false };
  const [, accessKeyId = '', , region = '', service = '', signedHeaders = '', signature = ''] = m;
  const issued = pool.issued.find((c) => c.accessKeyId === accessKeyId);
  if (!issued) return { accessKeyId, valid: false };
  const headers: Record<string, string> = {};
  for (const name of signedHeaders.split(';')) headers[name] = String(req.headers[name] ?? '');
  const amzDate = headers['x-amz-date'] ?? '';
  const signingDate = new Date(
    `${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`,
  );
  const url = new URL(req.url ?? '/', endpoint);
  const signer = new SignatureV4({
    credentials: {
      accessKeyId,
      secretAccessKey: issued.secretKey,
      ...(headers['x-amz-security-token'] ? { sessionToken: headers['x-amz-security-token'] } : {}),
    },
    region,
    service,
    sha256: Sha256,
  });
  const signed = await signer.sign(
    {
      method: req.method ?? 'POST',
      protocol: url.protocol,
      hostname: url.hostname,
      port: Number(url.port),
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers,
      body: payload,
    },
    { signingDate },
  );
  const again = /Signature=([0-9a-f]{64})/.exec(String(signed.headers['authorization']))?.[1];
  return { accessKeyId, valid: again === signature && region === REGION };
}

beforeAll(async () => {
  server = createServer(async (req, res) => {
    const payload = await body(req);
    const { accessKeyId, valid } = await verify(req, payload);
    const sessionToken = req.headers['x-amz-security-token'];
    seen.push({ accessKeyId, valid, sessionToken: typeof sessionToken === 'string' ? sessionToken : undefined });
    res.writeHead(valid ? 200 : 403, { 'content-type': 'application/x-amz-json-1.1' });
    res.end(
      JSON.stringify(
        valid
          ? { DeliveryStreamNames: ['orders'], HasMoreDeliveryStreams: false }
          : { __type: 'InvalidSignatureException', message: 'The request signature we calculated does not match' },
      ),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('the AWS SDK v3 signs with fetchCredentials()', () => {
  it("a Firehose client's requests carry a SigV4 signature the SDK's own signer verifies, with the user's credentials; after the sign-out, a guest's", async () => {
    const auth = createAuth({
      services: fakeServices(makeTokens({ username: 'alice', sub: 'sub-alice' })),
      sync: null,
      credentials: pool.provider({ allowGuest: true }),
    });
    try {
      await auth.ready;
      await auth.signIn({ username: 'alice', password: 'correct horse' });
      const firehose = new FirehoseClient({ region: REGION, endpoint, credentials: () => auth.fetchCredentials() });
      const out = await firehose.send(new ListDeliveryStreamsCommand({}));
      expect(out.DeliveryStreamNames).toEqual(['orders']);
      const user = await auth.fetchCredentials();
      expect(seen.at(-1)).toEqual({ accessKeyId: user.accessKeyId, valid: true, sessionToken: user.sessionToken });

      // A request signed with a secret key the pool never issued is refused by the endpoint.
      const forged = new FirehoseClient({
        region: REGION,
        endpoint,
        credentials: { ...user, secretAccessKey: 'not-the-issued-secret-key' },
        maxAttempts: 1,
      });
      await expect(forged.send(new ListDeliveryStreamsCommand({}))).rejects.toThrow();
      expect(seen.at(-1)?.valid).toBe(false);

      // The sign-out forgets them: a new client (the SDK caches what a provider gave it) gets a guest's.
      await auth.signOut();
      const guestClient = new FirehoseClient({ region: REGION, endpoint, credentials: () => auth.fetchCredentials() });
      await guestClient.send(new ListDeliveryStreamsCommand({}));
      const last = seen.at(-1);
      expect(last?.valid).toBe(true);
      expect(last?.accessKeyId).not.toBe(user.accessKeyId);
      expect(
        pool.identities.get(pool.issued.find((c) => c.accessKeyId === last?.accessKeyId)?.identityId ?? ''),
      ).toBeNull();
    } finally {
      auth.stop();
    }
  });
});
