/**
 * cognito-local (an optional peer dependency) as a child process on 127.0.0.1, on a free port and a
 * data directory, and Cognito's JSON protocol on `fetch` for the admin calls that set it up: no AWS
 * SDK. Node only: the Node built-ins are imported when a server starts, so `authchart/testing`
 * still loads where they do not exist (`fakeCognito()` runs anywhere).
 */
import type { ChildProcess } from 'node:child_process';
import { AuthError } from '../errors.js';

/** The region of the embedded Cognito: its pool ids are `local_…`. */
export const EMBEDDED_REGION = 'local';
/** Its issuer domain: a pool `local_X` issues as `${domain}/local_X`, the issuer real Cognito would name. */
export const EMBEDDED_ISSUER_DOMAIN = 'https://cognito-idp.local.amazonaws.com';

/** A running cognito-local. */
export interface CognitoLocalServer {
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  /** Its working directory; `.cognito/db/<poolId>.json` there is the data, loaded at start. */
  dataDir: string;
  /** Everything it printed so far (colour codes stripped): codes it "sends" by SMS or e-mail appear here. */
  output(): string;
  stop(): Promise<void>;
}

const INSTALL = 'npm i -D cognito-local';

/** The path of cognito-local's start script, resolved from `from`; `InvalidConfig` when it is not installed. */
export async function cognitoLocalBin(from: string = import.meta.url): Promise<string> {
  const { createRequire } = await import('node:module');
  const { readFile } = await import('node:fs/promises');
  const { dirname, join } = await import('node:path');
  let manifest: string;
  try {
    manifest = createRequire(from).resolve('cognito-local/package.json');
  } catch (cause) {
    throw new AuthError(
      'InvalidConfig',
      `startEmbeddedCognito needs cognito-local, an optional peer dependency of authchart: install it with \`${INSTALL}\``,
      { cause },
    );
  }
  const pkg = JSON.parse(await readFile(manifest, 'utf8')) as { bin?: string | Record<string, string> };
  const bin = typeof pkg.bin === 'string' ? pkg.bin : pkg.bin?.['cognito-local'];
  if (!bin) throw new AuthError('InvalidConfig', `cognito-local at ${dirname(manifest)} names no start script (bin)`);
  return join(dirname(manifest), bin);
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: stripping terminal colour codes
const ANSI = /\u001b\[[0-9;]*m/g;

/**
 * Starts cognito-local. Without `dataDir`, on a fresh temp directory that `stop` removes; with one,
 * on that directory's data, which `stop` leaves in place.
 */
export async function startCognitoLocal(opts: { dataDir?: string; startTimeoutMs?: number } = {}) {
  const bin = await cognitoLocalBin();
  const { spawn } = await import('node:child_process');
  const { mkdir, mkdtemp, rm, writeFile } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const dataDir = opts.dataDir ?? (await mkdtemp(join(tmpdir(), 'authchart-cognito-')));
  if (!opts.dataDir) {
    // Tokens name the issuer real Cognito would for a pool of region `local` (cognito-local's pool
    // ids are `local_…`), so `cognitoServices({ userPoolId })` checks `iss` here as against AWS.
    await mkdir(join(dataDir, '.cognito'), { recursive: true });
    await writeFile(
      join(dataDir, '.cognito', 'config.json'),
      JSON.stringify({ TokenConfig: { IssuerDomain: EMBEDDED_ISSUER_DOMAIN } }),
    );
  }
  const child = spawn(process.execPath, [bin], {
    cwd: dataDir,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', NODE_NO_WARNINGS: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // A test run that ends without stop() leaves no server behind.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  let output = '';
  const stop = async () => {
    process.removeListener('exit', killOnExit);
    await stopChild(child);
    if (!opts.dataDir) await rm(dataDir, { recursive: true, force: true });
  };
  try {
    const endpoint = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new AuthError('Timeout', `cognito-local did not start in time; it printed:\n${output}`)),
        opts.startTimeoutMs ?? 20_000,
      );
      const onData = (chunk: Buffer) => {
        output += chunk.toString().replace(ANSI, '');
        const m = /running on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
        if (m?.[1]) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new AuthError('Service', `cognito-local exited with ${code}; it printed:\n${output}`));
      });
    });
    await waitForHealth(endpoint);
    const server: CognitoLocalServer = { endpoint, dataDir, output: () => output, stop };
    return server;
  } catch (error) {
    await stop();
    throw error;
  }
}

async function waitForHealth(endpoint: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      const res = await fetch(`${endpoint}/health`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new AuthError('Timeout', `cognito-local at ${endpoint} never became healthy`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 3000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/**
 * One Cognito API call on the JSON protocol (`X-Amz-Target: AWSCognitoIdentityProviderService.<operation>`),
 * unsigned: cognito-local takes any caller as admin. A refusal is `Service`, naming Cognito's exception.
 */
export async function cognitoCall(
  endpoint: string,
  operation: string,
  input: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const res = await fetch(endpoint, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-amz-json-1.1',
      'X-Amz-Target': `AWSCognitoIdentityProviderService.${operation}`,
    },
    body: JSON.stringify(input),
  });
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try {
    json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    // not JSON: the status decides
  }
  if (res.ok) return json;
  const name = String(json['__type'] ?? 'UnknownError')
    .split('#')
    .pop();
  const message = typeof json['message'] === 'string' ? `: ${json['message'].slice(0, 300)}` : '';
  throw new AuthError(
    'Service',
    `${operation} was refused by the embedded Cognito: ${name} (HTTP ${res.status})${message}`,
    {
      ...(name ? { serviceName: name } : {}),
    },
  );
}
