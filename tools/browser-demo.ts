/**
 * Builds the browser demo (examples/browser) with Vite and serves it on 127.0.0.1.
 * `npm run demo:browser` also starts the embedded Cognito and creates two users, one of them with a
 * temporary password (its first sign-in asks for a new one); the e2e tests use `startBrowserDemo` with their own.
 */
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { createUser } from './cognito-admin.js';
import { createPoolWithUser, startEmbeddedCognito } from './embedded-cognito.js';

const ROOT = fileURLToPath(new URL('../examples/browser/', import.meta.url));
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
};

export interface BrowserDemo {
  /** The page's base URL (add `?endpoint=…&clientId=…`). */
  origin: string;
  stop(): Promise<void>;
}

/** Builds the page into a temp directory and serves it statically on a free port of 127.0.0.1. */
export async function startBrowserDemo(): Promise<BrowserDemo> {
  const outDir = await mkdtemp(join(tmpdir(), 'authchart-browser-'));
  await build({ configFile: join(ROOT, 'vite.config.ts'), build: { outDir, emptyOutDir: true } });
  const server: Server = createServer(async (req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)).replace(
      /^(\.\.[/\\])+/,
      '',
    );
    const file = join(outDir, path.endsWith('/') ? `${path}index.html` : path);
    try {
      if (!(await stat(file)).isFile()) throw new Error('not a file');
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
      createReadStream(file).pipe(res);
    } catch {
      res.writeHead(404).end('not found');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    origin: `http://127.0.0.1:${port}`,
    async stop() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await rm(outDir, { recursive: true, force: true });
    },
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const cognito = await startEmbeddedCognito();
  const pool = await createPoolWithUser(cognito);
  const newcomer = await createUser(cognito.admin, pool.userPoolId, { password: 'Temp-Pass-1', temporary: true });
  const demo = await startBrowserDemo();
  const url = `${demo.origin}/?${new URLSearchParams({ endpoint: cognito.endpoint, clientId: pool.clientId })}`;
  process.stdout.write(
    [
      '',
      'authchart browser demo',
      `  open:     ${url}`,
      `  inspect:  ${url}&inspect=1`,
      `  user:     ${pool.username}`,
      `  password: ${pool.password}`,
      'a user whose first sign-in asks for a new password (NEW_PASSWORD_REQUIRED):',
      `  user:     ${newcomer.username}`,
      `  password: ${newcomer.password} (temporary)`,
      '',
      'Ctrl-C stops the page and the embedded Cognito.',
      '',
    ].join('\n'),
  );
  const stop = async () => {
    await demo.stop();
    await cognito.stop();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
