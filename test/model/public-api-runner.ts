import { expect, vi } from 'vitest';
import { autoSignIn, confirmSignUp, type DeleteUserResult, deleteUser, signUp } from '../../src/account/index.js';
import { AuthError, createAuth, type SignOutResult, type Tokens } from '../../src/index.js';
import { flush, gatedServices, gatedStorage, storedSession, T0, tokensExpiringIn } from '../helpers/gated.js';
import { identityPoolEndpoint } from '../helpers/identity-pool-endpoint.js';
import { makeTokens } from '../helpers/tokens.js';
import { BOUNDS, FETCH_OPTIONS, isFetch, STORED_LEFT_S } from './public-api-answers.js';
import {
  type Answer,
  type Call,
  type Command,
  type Config,
  type Env,
  PublicModel,
  STATE_OF,
} from './public-api-model.js';

export { BOUNDS };

const CREDENTIALS = { username: 'alice@example.com', password: 'correct horse' };

/** What one run exercised, merged across runs for the coverage line. */
export interface Seen {
  callsInState: Set<string>;
  stopIn: Set<string>;
  stopAt: Set<string>;
  fetchAnswers: Set<string>;
}
export const newSeen = (): Seen => ({
  callsInState: new Set(),
  stopIn: new Set(),
  stopAt: new Set(),
  fetchAnswers: new Set(),
});

function fromResult(r: SignOutResult): Answer {
  const codes: Record<string, string> = {};
  // The step errors exist on partial and failed results only.
  const errors = r as unknown as Record<
    'hostedUISignOutError' | 'globalSignOutError' | 'revokeTokenError',
    AuthError | undefined
  >;
  if (r.status === 'failed') codes['error'] = r.error.code;
  if (errors.hostedUISignOutError) codes['hostedUI'] = errors.hostedUISignOutError.code;
  if (errors.globalSignOutError) codes['global'] = errors.globalSignOutError.code;
  if (errors.revokeTokenError) codes['revoke'] = errors.revokeTokenError.code;
  return { kind: 'signOut', status: r.status, scope: r.scope, steps: { ...r.steps }, codes };
}

function fromDeletion(r: DeleteUserResult): Answer {
  const result = fromResult(r.result) as Extract<Answer, { kind: 'signOut' }>;
  return r.clearError
    ? { kind: 'deleteUser', ok: true, cleared: r.cleared, clearError: r.clearError.code, result }
    : { kind: 'deleteUser', ok: true, cleared: r.cleared, result };
}

const codeOf = (e: unknown) => (e instanceof AuthError ? e.code : `not an AuthError: ${String(e)}`);

function fromError(e: unknown): Answer {
  return { kind: 'signIn', ok: false, code: codeOf(e) };
}

function fromTokenError(e: unknown): Answer {
  if (!(e instanceof AuthError)) return { kind: 'tokens', ok: false, code: `not an AuthError: ${String(e)}` };
  return e.tokenExpiresAt === undefined
    ? { kind: 'tokens', ok: false, code: e.code }
    : { kind: 'tokens', ok: false, code: e.code, tokenExpiresAt: e.tokenExpiresAt };
}

const CODE_OF = {
  service: 'Service',
  network: 'Network',
  cancel: 'Cancelled',
  notAuthorized: 'NotAuthorized',
} as const;

export const describeCommands = (config: Config, commands: Command[]) =>
  [
    `config ${JSON.stringify(config)}`,
    ...commands.map((c) => ('tick' in c ? `tick ${c.tick.join('+')}` : `env ${c.env}`)),
  ].join(' | ');

/**
 * Runs one command sequence on a real `createAuth` (gated fakes, fake timers) and on the model,
 * comparing after every step: each promise settled or not, and with what; the deepest state; the
 * open remote call; every remote call made; `ready`; storage. Ends with `stop()`, which must settle
 * every call. Returns how many calls were made and how many answers matched.
 */
export async function runModel(config: Config, commands: Command[], opts: { seen?: Seen; drain?: boolean } = {}) {
  const { seen } = opts;
  vi.setSystemTime(T0 * 1000); // every run starts at T0: the model's clock does
  const model = new PublicModel(config);
  const services = gatedServices();
  const stored = tokensExpiringIn(STORED_LEFT_S[config.tokens ?? 'fresh']);
  const storage = gatedStorage(config.stored ? storedSession(stored) : {}, config.held ? 'held' : 'open');
  let online = true;
  // An identity pool that allows guests, answering within the flush; it knows whose each identity is.
  const pool = identityPoolEndpoint();
  const auth = createAuth({
    services,
    storage,
    sync: null,
    connectivity: { isOnline: () => online },
    timeouts: BOUNDS,
    credentials: pool.provider({ allowGuest: true }),
  });
  let readyResolved = false;
  void auth.ready.then(() => {
    readyResolved = true;
  });
  const actual = new Map<number, Answer | 'pending'>();
  const hosted = makeTokens({ now: T0 });
  /** The tokens a label names: what the model says the app must be handed. */
  const byLabel = (label: string): Tokens | undefined => {
    if (label === 'stored') return stored;
    if (label === 'hosted') return hosted;
    if (label === 'signIn') return services.signInTokens;
    return services.refreshed[Number(label.replace('refresh', ''))];
  };
  const labelOf = (t: Tokens): string => {
    for (const label of ['stored', 'hosted', 'signIn', ...Object.keys(services.refreshed).map((i) => `refresh${i}`)]) {
      if (byLabel(label)?.accessToken === t.accessToken) return label;
    }
    return 'unknown tokens';
  };
  const trace: string[] = [describeCommands(config, commands)];

  function call(c: Call): void {
    const id = model.call(c);
    if (c === 'stop') {
      auth.stop();
      return;
    }
    if (id === undefined) throw new Error('a call without an id');
    actual.set(id, 'pending');
    const settle = (a: Answer) => actual.set(id, a);
    if (isFetch(c))
      auth.fetchTokens(FETCH_OPTIONS[c]).then(
        (t) => settle({ kind: 'tokens', ok: true, label: labelOf(t) }),
        (e) => settle(fromTokenError(e)),
      );
    else if (c === 'signIn')
      auth.signIn(CREDENTIALS).then(
        () => settle({ kind: 'signIn', ok: true }),
        (e) => settle(fromError(e)),
      );
    else if (c === 'credentials')
      auth.fetchCredentials().then(
        (r) => settle({ kind: 'credentials', ok: true, holder: pool.identities.get(r.identityId) ? 'user' : 'guest' }),
        (e) => settle({ kind: 'credentials', ok: false, code: codeOf(e) }),
      );
    else if (c === 'deleteUser')
      deleteUser(auth).then(
        (r) => settle(fromDeletion(r)),
        (e) => settle({ kind: 'deleteUser', ok: false, code: codeOf(e) }),
      );
    else if (c === 'autoSignIn')
      autoSignIn(auth).then(
        () => settle({ kind: 'signIn', ok: true }),
        (e) => settle(fromError(e)),
      );
    else if (c === 'arm')
      signUp(auth, { ...CREDENTIALS, attributes: { email: CREDENTIALS.username }, autoSignIn: true })
        .then(async (up) => {
          const confirmed = await confirmSignUp(auth, { username: CREDENTIALS.username, confirmationCode: '123456' });
          settle({ kind: 'signUp', ok: true, steps: [up.nextStep.signUpStep, confirmed.nextStep.signUpStep] });
        })
        .catch((e) => settle({ kind: 'signUp', ok: false, code: codeOf(e) }));
    else if (c === 'adopt') {
      auth.adoptSession(hosted, { signedInWith: 'hostedUI' }).then(
        () => settle({ kind: 'signIn', ok: true }),
        (e) => settle(fromError(e)),
      );
    } else {
      auth.signOut(c === 'signOutGlobal' ? { global: true } : {}).then(
        (r) => settle(fromResult(r)),
        (e) => settle({ kind: 'signIn', ok: false, code: `signOut rejected: ${String(e)}` }),
      );
    }
  }

  async function env(e: Env): Promise<boolean> {
    if (!model.applicable(e)) return false;
    let advance = 0;
    if (e === 'offline' || e === 'online') online = e === 'online';
    else if (e === 'release') storage.release();
    else if (e === 'hangStorage') storage.mode = 'hung';
    else if (e === 'failStorage') storage.mode = 'failing';
    else if (e === 'wait') {
      if (model.storageBlocked && storage.mode === 'held') storage.mode = 'hung'; // a read that never answers
      advance = model.waitMs();
    } else {
      const gate = services.open.at(-1);
      if (!gate) throw new Error(`no open remote call to answer (${trace.join(' / ')})`);
      if (e === 'ok') gate.resolve();
      else gate.reject(new AuthError(CODE_OF[e], e));
    }
    model.env(e);
    model.settle();
    if (advance > 0) await vi.advanceTimersByTimeAsync(advance);
    await flush();
    return true;
  }

  function check(step: string): number {
    trace.push(step);
    const where = trace.join(' / ');
    let matched = 0;
    for (const [id, got] of actual) {
      const want = model.answers.get(id) ?? 'pending';
      expect(got, `call #${id} after ${where}`).toEqual(want);
      if (want !== 'pending') matched++;
    }
    expect(auth.state, `state after ${where}`).toBe(STATE_OF[model.pos]);
    expect(
      services.open.map((g) => g.step),
      `open remote calls after ${where}`,
    ).toEqual(model.gate ? [model.gate] : []);
    // GlobalSignOut is given the access token held now (the refreshed one, after a refresh for it).
    // GlobalSignOut and DeleteUser are given the access token held now (the refreshed one, after a refresh for it).
    for (const g of services.open.filter((o) => o.step === 'globalSignOut' || o.step === 'deleteUser'))
      expect(g.token, `${g.step}'s token after ${where}`).toBe(byLabel(model.tokenLabel())?.accessToken);
    expect(services.made, `remote calls made after ${where}`).toEqual(model.made);
    expect(readyResolved, `ready after ${where}`).toBe(model.ready);
    if (model.storageKnown && !model.stopped && (model.pos === 'signedIn' || model.pos === 'signedOut')) {
      const own = Object.keys(storage.dump()).filter((k) => k.startsWith('authchart.client123.'));
      expect(own.length > 0, `session in storage after ${where}`).toBe(model.stored);
      expect(model.stored, `model: stored session iff signed in, after ${where}`).toBe(model.pos === 'signedIn');
    }
    return matched;
  }

  for (const c of config.atStart) call(c);
  model.settle();
  await flush();
  check(`start ${config.atStart.join('+')}`);
  for (const command of commands) {
    if ('tick' in command) {
      for (const c of command.tick) call(c);
      model.settle();
      await flush();
      check(`tick ${command.tick.join('+')}`);
    } else if (await env(command.env)) check(`env ${command.env}`);
  }
  // Drive to rest (every remote call answers ok, held storage is released, hung storage times out).
  for (let i = 0; opts.drain && i < 20 && (model.gate || model.storageBlocked); i++) {
    const e: Env = model.gate ? 'ok' : model.storage === 'held' ? 'release' : 'wait';
    await env(e);
    check(`drain ${e}`);
  }
  call('stop');
  await flush();
  const predicted = check('final stop');
  expect(predicted, `every call settled after stop: ${trace.join(' / ')}`).toBe(actual.size);
  if (seen) {
    for (const k of Object.keys(model.seen) as (keyof Seen)[]) for (const v of model.seen[k]) seen[k].add(v);
  }
  return { calls: actual.size, predicted };
}
