import {
  type Auth,
  type AuthStateValue,
  type CreateAuthOptions,
  createAuth,
  manualConnectivity,
} from '../../src/index.js';
import { type FakeServices, fakeServices, faultyStorage } from './fakes.js';
import { makeTokens, type TokenOptions } from './tokens.js';

export interface Harness {
  auth: Auth;
  services: FakeServices;
  storage: ReturnType<typeof faultyStorage>;
  connectivity: ReturnType<typeof manualConnectivity>;
  tokens: ReturnType<typeof makeTokens>;
  /** Every state entered since the harness started (or since `states.length = 0`). */
  states: AuthStateValue[];
}

/** A signed-in auth with fake services, a faulty-able storage holding an unrelated key, and manual connectivity. */
export async function signedInHarness(
  opts: { token?: TokenOptions; auth?: Partial<CreateAuthOptions>; signedIn?: boolean } = {},
): Promise<Harness> {
  const tokens = makeTokens(opts.token);
  const services = fakeServices(tokens);
  const storage = faultyStorage({ 'app.theme': 'dark', 'authchart.otherClient.lastAuthUser': 'bob' });
  const connectivity = manualConnectivity(true);
  const auth = createAuth({ services, storage, connectivity, ...opts.auth });
  const states: AuthStateValue[] = [];
  auth.subscribe((s) => states.push(s));
  await auth.ready;
  if (opts.signedIn !== false) await auth.signIn({ username: 'alice@example.com', password: 'correct horse' });
  return { auth, services, storage, connectivity, tokens, states };
}
