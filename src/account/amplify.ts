/**
 * `adoptAmplifySession`: moving from Amplify v6 (or amazon-cognito-identity-js) without signing
 * anyone out. Amplify's keys are foreign input, read through guards; the session is adopted through
 * the chart (`auth.adoptSession`), and only then are Amplify's keys removed (docs/account.md,
 * "Moving from Amplify").
 */
import { AuthError, type AuthErrorCode } from '../errors.js';
import type { Auth } from '../public-types.js';
import type { TokenStorage } from '../services/types.js';
import { depsOf, storageStep } from './call.js';

/** Where Amplify kept its keys: `localStorage`, or any storage with these two calls (sync or async). */
export type AmplifyStorage = Pick<TokenStorage, 'getItem' | 'removeItem'>;

/** What `adoptAmplifySession` answers. Keys are full storage keys; no value is ever in it. */
export type AdoptAmplifyResult = {
  /** Amplify's keys that were there and are gone. */
  removedKeys: string[];
  /** Amplify's device keys (`deviceKey`, `randomPasswordKey`, `deviceGroupKey`): left on purpose. */
  keptKeys: string[];
  /** Amplify's keys the removal could not remove (`removeError` says why); a later call removes them. */
  leftKeys: string[];
  removeError?: AuthError;
} & (
  | {
      adopted: true;
      /** The signed-in user, as the chart read it from the tokens. */
      username: string;
      /**
       * `true`: this instance already held the session (same refresh token): a rerun after a crash
       * between the adoption and the removal. Nothing was adopted again; Amplify's keys were removed.
       */
      alreadyAdopted: boolean;
    }
  /** No Amplify session for this app client (leftover keys without a token are removed). */
  | { adopted: false; reason: 'none' }
);

const PREFIX = 'CognitoIdentityServiceProvider';
/** Longest value read: Cognito's tokens are 1-2 kB; a username is at most 128 characters. */
const MAX_TOKEN = 16_384;
const MAX_NAME = 512;
/** The session's other keys, removed before its refresh token (then the `LastAuthUser` pointer, last). */
const OTHER_KEYS = [
  'accessToken',
  'idToken',
  'clockDrift',
  'signInDetails',
  'oauthMetadata',
  'oidcProvider',
  'userData',
];
/** Device keys: a later device feature needs them, so they are never removed here. */
const DEVICE_KEYS = ['deviceKey', 'randomPasswordKey', 'deviceGroupKey'];
const WHAT = 'adoptAmplifySession';

/**
 * Adopts the session Amplify v6 (or amazon-cognito-identity-js) left in `storage` for this app
 * client, through `auth.adoptSession` (the chart's token checks, one record, other contexts
 * follow), then removes Amplify's keys: the refresh token after the rest, the `LastAuthUser`
 * pointer last. A crash before the adoption leaves Amplify's keys whole; a crash after it leaves
 * both, and the next call, finding the same refresh token held, only removes Amplify's keys.
 * Rejects, removing nothing: `AlreadySignedIn` (another session is held), `InvalidToken` (the
 * chart's checks, or a torn session), `InvalidInput` (a value not a string, or too long),
 * `StorageFailure` (a read failed). A failed removal is in the answer (`leftKeys`, `removeError`).
 *
 * @example
 * const answer = await adoptAmplifySession(auth, localStorage);
 * if (answer.adopted) console.log('Signed in as', answer.username);
 */
export async function adoptAmplifySession(auth: Auth, storage: AmplifyStorage): Promise<AdoptAmplifyResult> {
  const { services, secrets } = depsOf(auth, WHAT);
  const failed = (error: unknown, code: AuthErrorCode) => (secrets ? secrets.safeError(error, WHAT, code) : error);
  // Each method read once (a getter or Proxy trap may throw, or answer differently the next time).
  let methods: Pick<AmplifyStorage, 'getItem' | 'removeItem'>;
  try {
    methods = { getItem: storage?.getItem, removeItem: storage?.removeItem };
  } catch (error) {
    throw failed(error, 'InvalidInput');
  }
  if (typeof methods.getItem !== 'function' || typeof methods.removeItem !== 'function') {
    throw new AuthError('InvalidInput', `${WHAT} needs a storage with getItem and removeItem`);
  }
  // Every step bounded by storageMs and ended by stop(), a throw at once included.
  const io: AmplifyStorage = {
    getItem: (key) => storageStep(auth, () => methods.getItem.call(storage, key), WHAT),
    removeItem: (key) => storageStep(auth, () => methods.removeItem.call(storage, key), WHAT),
  };
  const releases: (() => void)[] = [];
  /** A value of Amplify's: held among the instance's secrets before anything can quote it. */
  const read = async (key: string, name: string, max = Number.POSITIVE_INFINITY): Promise<string | undefined> => {
    let value: unknown;
    try {
      value = await io.getItem(key);
    } catch (error) {
      throw failed(error, 'StorageFailure');
    }
    if (value === null || value === undefined || value === '') return undefined;
    if (typeof value !== 'string') throw new AuthError('InvalidInput', `Amplify's ${name} is not a string`);
    const release = secrets?.hold(value);
    if (release) releases.push(release);
    if (value.length > max) throw new AuthError('InvalidInput', `Amplify's ${name} is too long`);
    return value;
  };
  try {
    await auth.ready;
    const base = `${PREFIX}.${services.clientId}`;
    const pointer = `${base}.LastAuthUser`;
    const user = await read(pointer, 'LastAuthUser', MAX_NAME);
    const none = { adopted: false as const, reason: 'none' as const, removedKeys: [], keptKeys: [], leftKeys: [] };
    if (user === undefined) return none;
    const key = (field: string) => `${base}.${user}.${field}`;
    const accessToken = await read(key('accessToken'), 'accessToken', MAX_TOKEN);
    const idToken = await read(key('idToken'), 'idToken', MAX_TOKEN);
    const refreshToken = await read(key('refreshToken'), 'refreshToken', MAX_TOKEN);
    // The other keys only as present or not: their values are not used (a device password is a secret).
    const present = async (fields: string[]) => {
      const found: string[] = [];
      for (const field of fields) {
        if ((await read(key(field), field).catch(() => field)) !== undefined) found.push(key(field));
      }
      return found;
    };
    const others = await present(OTHER_KEYS);
    const keptKeys = await present(DEVICE_KEYS);
    const removal = [...others, ...(refreshToken === undefined ? [] : [key('refreshToken')]), pointer];
    const held = auth.getTokens();
    let alreadyAdopted = false;
    if (accessToken === undefined && idToken === undefined && refreshToken === undefined) {
      // No token: nothing to adopt (a removal cut short, or Amplify's own clear): its leftovers go.
      return { ...none, keptKeys, ...(await remove(io, removal, failed)) };
    }
    if (held && refreshToken !== undefined && held.refreshToken === refreshToken) {
      alreadyAdopted = true;
    } else if (held) {
      throw new AuthError('AlreadySignedIn', `${WHAT}: another session is signed in`);
    } else if (accessToken === undefined || idToken === undefined || refreshToken === undefined) {
      throw new AuthError('InvalidToken', `${WHAT}: Amplify's session is incomplete`);
    } else {
      // Amplify marks a hosted-UI sign-in with oauthMetadata {"oauthSignIn":true}.
      const oauth = await read(key('oauthMetadata'), 'oauthMetadata', MAX_NAME).catch(() => undefined);
      await auth
        .adoptSession(
          { accessToken, idToken, refreshToken },
          { signedInWith: oauth?.replace(/\s/g, '').includes('"oauthSignIn":true') ? 'hostedUI' : 'password' },
        )
        .catch((error: unknown) => {
          // Another context adopted the same keys meanwhile, and this one followed it: the rerun's case.
          const followed = (error as AuthError)?.code === 'AlreadySignedIn' && auth.getSnapshot().status === 'signedIn';
          if (!followed || auth.getTokens()?.refreshToken !== refreshToken) throw error;
          alreadyAdopted = true;
        });
    }
    const username = auth.getSession()?.username ?? user;
    return { adopted: true, username, alreadyAdopted, keptKeys, ...(await remove(io, removal, failed)) };
  } catch (error) {
    throw failed(error, 'InvalidInput');
  } finally {
    for (const release of releases) release();
  }
}

/** Removes `keys` in order, stopping at the first failure: what is left keeps its order's promise. */
async function remove(storage: AmplifyStorage, keys: string[], failed: (e: unknown, c: AuthErrorCode) => unknown) {
  const removedKeys: string[] = [];
  for (const [i, key] of keys.entries()) {
    try {
      await storage.removeItem(key);
    } catch (error) {
      return { removedKeys, leftKeys: keys.slice(i), removeError: failed(error, 'StorageFailure') as AuthError };
    }
    removedKeys.push(key);
  }
  return { removedKeys, leftKeys: [] };
}
