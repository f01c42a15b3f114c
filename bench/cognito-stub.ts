/**
 * A bench-only Cognito on 127.0.0.1 speaking the JSON 1.1 protocol: InitiateAuth issues real-size
 * Cognito-shaped JWTs (bench/tokens.ts) that carry `origin_jti`; GlobalSignOut and RevokeToken answer `{}`. `latencyMs` delays every answer;
 * `blackhole` accepts requests and never answers. Both libraries do real HTTP against it.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { cognitoTokens } from './tokens.js';

export interface CognitoStub {
  url: string;
  latencyMs: number;
  blackhole: boolean;
  calls: Record<string, number>;
  /** Destroys every open connection (after a blackhole run, so nothing keeps waiting on them). */
  dropConnections(): void;
  stop(): Promise<void>;
}

function tokens(username: string) {
  const t = cognitoTokens(username);
  return {
    AccessToken: t.accessToken,
    IdToken: t.idToken,
    RefreshToken: t.refreshToken,
    ExpiresIn: 3600,
    TokenType: 'Bearer',
  };
}

export async function startCognitoStub(): Promise<CognitoStub> {
  const sockets = new Set<Socket>();
  const stub: CognitoStub = {
    url: '',
    latencyMs: 0,
    blackhole: false,
    calls: {},
    dropConnections: () => {
      for (const s of sockets) s.destroy();
    },
    stop: async () => {},
  };
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => {
      body += c;
    });
    req.on('end', () => {
      if (stub.blackhole) return; // accept, never answer
      const target =
        String(req.headers['x-amz-target'] ?? '')
          .split('.')
          .pop() ?? '';
      stub.calls[target] = (stub.calls[target] ?? 0) + 1;
      let answer: unknown = {};
      if (target === 'InitiateAuth') {
        const input = JSON.parse(body || '{}') as { AuthParameters?: { USERNAME?: string } };
        answer = {
          AuthenticationResult: tokens(input.AuthParameters?.USERNAME ?? 'user@example.com'),
          ChallengeParameters: {},
        };
      }
      const send = () => {
        res.writeHead(200, {
          'content-type': 'application/x-amz-json-1.1',
          'access-control-allow-origin': '*',
        });
        res.end(JSON.stringify(answer));
      };
      if (stub.latencyMs > 0) setTimeout(send, stub.latencyMs);
      else send();
    });
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  stub.url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  stub.stop = async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => server.close(r));
  };
  return stub;
}
