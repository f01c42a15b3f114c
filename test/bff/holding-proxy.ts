/**
 * A small HTTP proxy in front of cognito-local (127.0.0.1, free port) that can hold the requests
 * of one Cognito operation (by `X-Amz-Target`): to make RevokeToken slow, or to park it while the
 * process that sent it is killed. It records every operation it forwarded.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

interface Parked {
  req: IncomingMessage;
  res: ServerResponse;
  body: Buffer;
}

export interface HoldingProxy {
  url: string;
  /** Operations forwarded to Cognito so far, in order (e.g. `RevokeToken`). */
  forwarded: string[];
  /** Parks every `operation` request from now on; `seen` resolves at the first one. */
  hold(operation: string): { seen: Promise<void> };
  /** Stops holding: parked requests are forwarded (`forward`) or dropped unanswered (`drop`). */
  release(mode: 'forward' | 'drop'): void;
  close(): Promise<void>;
}

/**
 * @example
 * const proxy = await startHoldingProxy(cognitoEndpoint);
 * const { seen } = proxy.hold('RevokeToken');
 */
export async function startHoldingProxy(target: string): Promise<HoldingProxy> {
  let held: { operation: string; onSeen: () => void } | null = null;
  const parked: Parked[] = [];
  const forwarded: string[] = [];

  async function forward({ req, res, body }: Parked, operation: string) {
    forwarded.push(operation);
    try {
      const answer = await fetch(target, {
        method: req.method ?? 'POST',
        headers: {
          'content-type': req.headers['content-type'] ?? '',
          'x-amz-target': String(req.headers['x-amz-target'] ?? ''),
        },
        ...(req.method === 'GET' ? {} : { body: body.toString('utf8') }),
      });
      res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' });
      res.end(Buffer.from(await answer.arrayBuffer()));
    } catch {
      res.destroy();
    }
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const operation =
        String(req.headers['x-amz-target'] ?? '')
          .split('.')
          .pop() ?? '';
      const p = { req, res, body: Buffer.concat(chunks) };
      if (held && held.operation === operation) {
        parked.push(p);
        held.onSeen();
        return;
      }
      void forward(p, operation);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    forwarded,
    hold(operation) {
      let onSeen = () => {};
      const seen = new Promise<void>((resolve) => {
        onSeen = resolve;
      });
      held = { operation, onSeen };
      return { seen };
    },
    release(mode) {
      const operation = held?.operation ?? '';
      held = null;
      for (const p of parked.splice(0)) {
        if (mode === 'forward') void forward(p, operation);
        else p.res.destroy();
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
