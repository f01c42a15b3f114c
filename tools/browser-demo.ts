/**
 * Builds the browser demo (examples/browser) with Vite and serves it on 127.0.0.1.
 * `npm run demo:browser` also starts the embedded Cognito and creates two users, one of them with a
 * temporary password (its first sign-in asks for a new one), and the embedded OAuth server as the
 * hosted UI (its app client registers the demo's /callback and /signed-out); the e2e tests use
 * `startBrowserDemo` and `startDemoHostedUI` with their own.
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
import { type EmbeddedOAuth, type EmbeddedOAuthOptions, startEmbeddedOAuth } from './embedded-oauth.js';

const ROOT = fileURLToPath(new URL('../examples/browser/', import.meta.url));
/** The page's paths the hosted UI sends the user back to (examples/browser/hosted.ts): the page is served there too. */
const PAGE_PATHS = new Set(['/callback', '/signed-out']);
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
    const file = join(outDir, path.endsWith('/') || PAGE_PATHS.has(path) ? 'index.html' : path);
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

/**
 * The embedded OAuth server as the demo's hosted UI: its app client allows the demo's `/callback`
 * and `/signed-out`. Add `hostedQuery(oauth)` to the page's query string.
 *
 * @example
 * ```ts
 * const demo = await startBrowserDemo();
 * const oauth = await startDemoHostedUI(demo);
 * const url = `${demo.origin}/?${hostedQuery(oauth)}`;
 * ```
 */
export function startDemoHostedUI(demo: BrowserDemo, options: EmbeddedOAuthOptions = {}): Promise<EmbeddedOAuth> {
  return startEmbeddedOAuth({
    redirectUri: `${demo.origin}/callback`,
    logoutUri: `${demo.origin}/signed-out`,
    ...options,
  });
}

/** The query parameters that give the demo page its hosted UI. */
export const hostedQuery = (oauth: EmbeddedOAuth) =>
  new URLSearchParams({ hostedDomain: oauth.domain, hostedClientId: oauth.clientId });

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const cognito = await startEmbeddedCognito();
  const pool = await createPoolWithUser(cognito);
  const newcomer = await createUser(cognito.admin, pool.userPoolId, { password: 'Temp-Pass-1', temporary: true });
  const demo = await startBrowserDemo();
  const oauth = await startDemoHostedUI(demo);
  const url = `${demo.origin}/?${new URLSearchParams({ endpoint: cognito.endpoint, clientId: pool.clientId })}&${hostedQuery(oauth)}`;
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
      `"Sign in with the hosted UI" (the embedded OAuth server at ${oauth.domain}):`,
      `  user:     ${oauth.user.username}`,
      `  password: ${oauth.user.password}`,
      '',
      'Ctrl-C stops the page, the embedded Cognito and the hosted UI.',
      '',
    ].join('\n'),
  );
  const stop = async () => {
    await demo.stop();
    await oauth.stop();
    await cognito.stop();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
