/**
 * fileStorage does not trust its path (docs/storage.md, "What `fileStorage` refuses"; the fileStorage
 * row of docs/security.md's threat table): a symlink, a file of another user, a non-regular file, a
 * symlinked lock and a directory anyone can swap files in are refused with `StorageFailure`, through
 * `createAuth` too, and nothing is written where a link points.
 */
import {
  chmod,
  chown,
  link,
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { openToRead, writeFileAtomically } from '../../src/adapters/file-guard.js';
import { fileStorage } from '../../src/bindings/node.js';
import { AuthError, createAuth, isAuthError } from '../../src/index.js';
import { fakeServices } from '../helpers/fakes.js';
import { makeTokens, tokenStrings } from '../helpers/tokens.js';

const CREDS = { username: 'alice@example.com', password: 'correct horse' };
const KEY = 'authchart.client123.session';
const posix = process.platform !== 'win32';
const root = process.getuid?.() === 0;
const NOBODY = 65534;

let dir = '';
let file = '';
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'authchart-path-'));
  file = join(dir, 'tokens.json');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Every message down the `cause` chain: createAuth wraps the storage's own error. */
function messages(error: unknown): string {
  const out: string[] = [];
  for (let e = error; e instanceof Error; e = e.cause) out.push(e.message);
  return out.join(' <- ');
}

/**
 * A sign-in through `createAuth` on `path`: `ready` reports the refusal (signed out), the sign-in
 * fails with StorageFailure. Returns every message of both errors and the tokens Cognito issued.
 */
async function signInThrough(path: string): Promise<{ said: string; secrets: string[] }> {
  const tokens = makeTokens();
  const auth = createAuth({ services: fakeServices(tokens), storage: fileStorage(path) });
  const signedOut: { error?: unknown }[] = [];
  auth.on('signedOut', (e) => signedOut.push(e));
  await auth.ready;
  expect(auth.state).toBe('signedOut');
  expect(signedOut[0]).toMatchObject({ reason: 'invalidSession' });
  expect(isAuthError(signedOut[0]?.error, 'StorageFailure')).toBe(true);
  const error = await auth.signIn(CREDS).catch((e: unknown) => e);
  expect(isAuthError(error, 'StorageFailure')).toBe(true);
  // The tokens it could not keep are revoked first (docs/sign-out.md row 25), then it ends signed out.
  await vi.waitFor(() => expect(auth.state).toBe('signedOut'));
  expect(auth.getSession()).toBeNull();
  auth.stop();
  return { said: `${messages(signedOut[0]?.error)} | ${messages(error)}`, secrets: tokenStrings([tokens]) };
}

/** The StorageFailure a storage call ends with (TokenStorage calls may return a plain value). */
async function refusal(call: unknown): Promise<AuthError> {
  const error = await Promise.resolve(call).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AuthError);
  expect((error as AuthError).code).toBe('StorageFailure');
  return error as AuthError;
}

describe.skipIf(!posix)('a symlink at the path (POSIX: symlinks need no privilege)', () => {
  it('is refused through createAuth; the target and its neighbours stay byte for byte', async () => {
    const elsewhere = join(dir, 'elsewhere');
    await mkdir(elsewhere);
    const target = join(elsewhere, 'victim.conf');
    const neighbour = `${target}.4242`; // named like a temp file of the target: the sweep must not touch it
    await writeFile(target, 'ssh-ed25519 AAAA… root@host\n');
    await writeFile(neighbour, 'keep me');
    await symlink(target, file);

    const { said, secrets } = await signInThrough(file);
    expect(said).toContain(`${file} is a symlink`);
    for (const secret of secrets) expect(said).not.toContain(secret);
    expect(await readFile(target, 'utf8')).toBe('ssh-ed25519 AAAA… root@host\n');
    expect(await readFile(neighbour, 'utf8')).toBe('keep me');
    expect((await lstat(file)).isSymbolicLink()).toBe(true);
    expect((await readdir(dir)).sort()).toEqual(['elsewhere', 'tokens.json']);
  });

  it('a dangling symlink is refused too: its target is never created', async () => {
    const target = join(dir, 'created-by-us');
    await symlink(target, file);
    const { said } = await signInThrough(file);
    expect(said).toContain('is a symlink');
    await expect(lstat(target)).rejects.toThrow(/ENOENT/);
  });

  it.each(['getItem', 'setItem', 'removeItem', 'keys', 'lock'] as const)(
    '%s is refused, naming the symlink',
    async (call) => {
      await writeFile(join(dir, 'target.json'), JSON.stringify({ [KEY]: 'theirs' }));
      await symlink(join(dir, 'target.json'), file);
      const storage = fileStorage(file);
      const op = {
        getItem: () => storage.getItem(KEY),
        setItem: () => storage.setItem(KEY, 'ours'),
        removeItem: () => storage.removeItem(KEY),
        keys: () => storage.keys(),
        lock: () => storage.lock('authchart.client123', async () => undefined),
      }[call];
      expect((await refusal(op())).message).toContain(`${file} is a symlink`);
      expect(await readFile(join(dir, 'target.json'), 'utf8')).toBe(JSON.stringify({ [KEY]: 'theirs' }));
    },
  );

  it('a symlink at the lock path is refused, naming it', async () => {
    await mkdir(join(dir, 'lockdir'));
    await symlink(join(dir, 'lockdir'), `${file}.lock`);
    expect((await refusal(fileStorage(file).setItem(KEY, 'v'))).message).toContain(`${file}.lock is a symlink`);
    await expect(lstat(file)).rejects.toThrow(/ENOENT/);
  });

  it('the read opens with O_NOFOLLOW: a symlink put there after the checks is refused, not read', async () => {
    await writeFile(join(dir, 'target'), JSON.stringify({ [KEY]: 'planted' }));
    await symlink(join(dir, 'target'), file);
    expect((await refusal(openToRead(file))).message).toContain(`${file} is a symlink`);
  });

  it('the write renames over the path: a symlink put there after the checks is replaced, not followed', async () => {
    // The race the checks cannot close: the link appears between the check and the write.
    await writeFile(join(dir, 'target'), 'untouched');
    await symlink(join(dir, 'target'), file);
    await writeFileAtomically(file, '{"k":"v"}');
    expect(await readFile(join(dir, 'target'), 'utf8')).toBe('untouched');
    const written = await lstat(file);
    expect(written.isFile()).toBe(true);
    expect(written.mode & 0o777).toBe(0o600);
    expect(await readFile(file, 'utf8')).toBe('{"k":"v"}');
  });
});

describe('what is not a regular file', () => {
  it('a directory at the path is refused as not a regular file', async () => {
    await mkdir(file);
    expect((await refusal(fileStorage(file).getItem(KEY))).message).toContain(`${file} is not a regular file`);
  });
});

describe.skipIf(!root)('a file owned by another user (needs root, to chown it to uid 65534)', () => {
  it('is refused through createAuth, naming the uid; no token ever gets into it', async () => {
    const before = JSON.stringify({ 'otherapp.x': '1' });
    await writeFile(file, before, { mode: 0o644 });
    await chown(file, NOBODY, NOBODY);
    const { said, secrets } = await signInThrough(file);
    expect(said).toContain(`${file} is owned by uid ${NOBODY}`);
    for (const secret of secrets) expect(said).not.toContain(secret);
    expect(await readFile(file, 'utf8')).toBe(before);
    expect((await stat(file)).uid).toBe(NOBODY);
  });
});

describe.skipIf(!posix)('file mode and owner (POSIX modes)', () => {
  it('a file of ours readable by others is tightened to 0600 when first read, and stays ours after a write', async () => {
    await writeFile(file, JSON.stringify({ 'otherapp.x': '1' }));
    await chmod(file, 0o644);
    const storage = fileStorage(file);
    expect(await storage.getItem(KEY)).toBeNull();
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    await chmod(file, 0o666);
    await storage.setItem(KEY, 'v');
    const after = await stat(file);
    expect(after.mode & 0o777).toBe(0o600);
    expect(after.uid).toBe(process.getuid?.());
  });

  it('a directory anyone may write without the sticky bit is refused; with the sticky bit it is used', async () => {
    await chmod(dir, 0o777);
    expect((await refusal(fileStorage(file).setItem(KEY, 'v'))).message).toContain(
      `${dir} is writable by every user and has no sticky bit`,
    );
    await expect(lstat(file)).rejects.toThrow(/ENOENT/);
    await chmod(dir, 0o1777);
    await fileStorage(file).setItem(KEY, 'v');
    expect(await fileStorage(file).getItem(KEY)).toBe('v');
  });

  it('a directory anyone may write further up the path is refused too', async () => {
    await chmod(dir, 0o777);
    const deep = join(dir, 'sub', 'deeper', 'tokens.json');
    expect((await refusal(fileStorage(deep).setItem(KEY, 'v'))).message).toContain(
      `${dir} is writable by every user and has no sticky bit`,
    );
  });

  it('a second name (hard link) at the path is refused, and the other file is left as it was', async () => {
    const other = join(dir, 'other.json');
    await writeFile(other, '{"app":"mine"}', { mode: 0o644 });
    await link(other, file);
    expect((await refusal(fileStorage(file).getItem(KEY))).message).toContain('has 2 hard links');
    expect((await stat(other)).mode & 0o777).toBe(0o644);
    expect(await readFile(other, 'utf8')).toBe('{"app":"mine"}');
  });
});
