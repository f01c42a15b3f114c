/**
 * A hostile endpoint on 127.0.0.1 for the transport tests: it answers whatever the test scripts
 * (a 307, a stream that never ends, an echo of what it was sent) and records what reached it.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach } from 'vitest';

export interface Received {
  method: string;
  path: string;
  body: string;
}

export type Script = (request: Received, res: ServerResponse) => void | Promise<void>;

export interface HostileServer {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** Every request that reached this server, body included. */
  received: Received[];
  /** What the next requests get (default: `{}` with 200). */
  script: Script;
  close(): Promise<void>;
}

export async function hostileServer(script?: Script): Promise<HostileServer> {
  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    for await (const chunk of req) body += String(chunk);
    const request = { method: req.method ?? '', path: req.url ?? '', body };
    hostile.received.push(request);
    await hostile.script(request, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const hostile: HostileServer = {
    url: `http://127.0.0.1:${port}`,
    received: [],
    script: script ?? ((_, res) => void res.writeHead(200, { 'content-type': 'application/json' }).end('{}')),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return hostile;
}

/** A script answering `status` with `Location: <to>` (a 307 or 308 asks the client to re-POST the body there). */
export const redirectTo =
  (to: string, status = 307): Script =>
  (_, res) =>
    void res.writeHead(status, { location: to }).end();

/** Resolves on `drain` or `close`, leaving no listener behind. */
function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const go = () => {
      res.off('drain', go).off('close', go);
      resolve();
    };
    res.on('drain', go).on('close', go);
  });
}

/** How much of an endless answer got out before the client hung up. */
export interface Stream {
  /** Bytes accepted by the socket before it closed. */
  written: number;
  /** Whether all of `total` was written (the client read it all). */
  complete: boolean;
}

/**
 * A script streaming `total` bytes of a JSON string (`{"__type":"xxxx…`) in 64 KiB chunks, honouring
 * backpressure, so only what the client reads (plus socket buffers) leaves the server. `done`
 * settles when the answer ends or the client hangs up.
 */
export function endlessAnswer(total: number): { script: Script; done: Promise<Stream> } {
  let settle: (s: Stream) => void = () => {};
  const done = new Promise<Stream>((resolve) => {
    settle = resolve;
  });
  const chunk = Buffer.alloc(64 * 1024, 'x');
  const script: Script = async (_, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    const stream: Stream = { written: 0, complete: false };
    res.on('close', () => settle(stream));
    res.write('{"__type":"');
    stream.written += 11;
    while (stream.written < total && !res.destroyed) {
      const more = res.write(chunk);
      stream.written += chunk.length;
      if (!more) await drained(res);
    }
    if (!res.destroyed) {
      stream.complete = true;
      res.end('"}');
    }
  };
  return { script, done };
}

/** A `hostileServer` starter for one test file: every server it started is closed after each test. */
export function hostileServers(): typeof hostileServer {
  const open: HostileServer[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => s.close()));
  });
  return async (script) => {
    const s = await hostileServer(script);
    open.push(s);
    return s;
  };
}
