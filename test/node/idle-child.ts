/** A Node process that signs in and then does nothing: it must exit on its own (refresh timers are unref'd). */
import { createAuth } from '../../src/index.js';
import { fakeServices } from '../helpers/fakes.js';
import { makeTokens } from '../helpers/tokens.js';

const auth = createAuth({ services: fakeServices(makeTokens({ expiresIn: 3600 })), sync: null });
await auth.signIn({ username: 'alice@example.com', password: 'correct horse' });
process.stdout.write(`${auth.state}\n`);
