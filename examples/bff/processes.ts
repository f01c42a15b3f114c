/**
 * Starting BFF processes and talking to them like a browser would (one cookie), for the demo,
 * the two-process tests and bench P6.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const SERVER = fileURLToPath(new URL('./server.ts', import.meta.url));

export interface BffProcess {
  url: string;
  child: ChildProcess;
  /** Every JSON line it printed so far. */
  lines(): Record<string, unknown>[];
  /** Everything it printed (stdout and stderr), raw. */
  output(): string;
  stop(): Promise<void>;
}

export interface BffEnv {
  REDIS_URL: string;
  COGNITO_ENDPOINT: string;
  COGNITO_CLIENT_ID: string;
  BFF_NAME: string;
  BFF_REVOCATION?: string;
  BFF_PORT?: string;
  BFF_ORIGINS?: string;
  BFF_PROXY_HOPS?: string;
  BFF_LOGIN_LIMIT_USERNAME?: string;
  BFF_LOGIN_LIMIT_CLIENT?: string;
  BFF_LOGIN_WINDOW_SECONDS?: string;
}

/**
 * Starts `examples/bff/server.ts` under tsx; resolves once it listens.
 *
 * @example
 * const a = await startBff({ REDIS_URL, COGNITO_ENDPOINT, COGNITO_CLIENT_ID, BFF_NAME: 'A' });
 */
export function startBff(env: BffEnv, opts: { execArgv?: string[] } = {}): Promise<BffProcess> {
  const child = spawn(process.execPath, [...(opts.execArgv ?? []), '--import', 'tsx', SERVER], {
    env: { ...process.env, NODE_NO_WARNINGS: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let raw = '';
  const lines: Record<string, unknown>[] = [];
  let partial = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    raw += chunk;
    const parts = (partial + chunk).split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts.filter(Boolean)) {
      try {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        lines.push({ event: 'text', text: line });
      }
    }
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    raw += chunk;
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`BFF ${env.BFF_NAME} did not start:\n${raw}`)), 20_000);
    const fail = (error: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(error);
    };
    child.once('exit', (code) => fail(new Error(`BFF ${env.BFF_NAME} exited (${code}):\n${raw}`)));
    const poll = setInterval(() => {
      const listening = lines.find((l) => l['event'] === 'listening');
      if (!listening) return;
      clearInterval(poll);
      clearTimeout(timer);
      child.removeAllListeners('exit');
      resolve({
        url: String(listening['url']),
        child,
        lines: () => lines,
        output: () => raw,
        stop: () => stopChild(child),
      });
    }, 20);
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const hard = setTimeout(() => child.kill('SIGKILL'), 3000);
    child.once('exit', () => {
      clearTimeout(hard);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** What a BFF answered: status and JSON body (and the raw set-cookie, to check its attributes). */
export interface Reply {
  status: number;
  body: Record<string, unknown>;
  setCookie: string | null;
}

/** A "browser" with one cookie jar, which can talk to any BFF instance. */
export class BrowserSession {
  cookie: string | null = null;

  async call(base: string, method: 'GET' | 'POST', path: string, body?: unknown): Promise<Reply> {
    const headers: Record<string, string> = {};
    if (this.cookie) headers['cookie'] = this.cookie;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(base + path, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const setCookie = res.headers.get('set-cookie');
    if (setCookie) {
      const pair = setCookie.split(';')[0] ?? '';
      // An expiring Set-Cookie (Max-Age=0) deletes it.
      this.cookie = /max-age=0/i.test(setCookie) || pair.endsWith('=') ? null : pair;
    }
    return { status: res.status, body: (await res.json()) as Record<string, unknown>, setCookie };
  }
}
