/**
 * `npm run demo`: the whole sign-out story against an embedded Cognito (cognito-local on 127.0.0.1).
 * Starts the server, creates a user, signs in, signs out locally, signs in again, signs out
 * globally, printing every state the machine enters and every SignOutResult; then signs in a user
 * created with a temporary password through the new-password challenge, and stops the server.
 */

import { cognitoServices } from '../src/adapters/cognito/index.js';
import { createAuth, memoryStorage } from '../src/index.js';
import { startEmbeddedCognito } from '../src/testing/index.js';

const log = (line: string) => process.stdout.write(`${line}\n`);

// authchart/testing's embedded Cognito, as an app's tests would start it.
const pool = { username: 'demo@example.com', password: 'Correct-Horse-9' };
const cognito = await startEmbeddedCognito({ users: { [pool.username]: pool.password } });
log(`embedded Cognito on ${cognito.endpoint}`);
try {
  log(`user pool ${cognito.userPoolId}, app client ${cognito.clientId}, user ${pool.username}`);

  const storage = memoryStorage([['app.preferences', '{"theme":"dark"}']]);
  const auth = createAuth({
    services: cognitoServices({
      clientId: cognito.clientId,
      region: cognito.region,
      userPoolId: cognito.userPoolId,
      endpoint: cognito.endpoint,
      // cognito-local has no SRP; a real pool would keep the USER_SRP_AUTH default.
      authFlow: 'USER_PASSWORD_AUTH',
    }),
    storage,
    // cognito-local emits no origin_jti, so the default `auto` policy would not revoke; ask for it.
    revocation: 'always',
  });
  auth.subscribe((state) => log(`  state → ${state}`));
  auth.on('signedIn', ({ session }) => log(`  event signedIn (${session.username})`));
  auth.on('signedOut', ({ reason }) => log(`  event signedOut (${reason})`));
  await auth.ready;

  const storedKeys = () => storage.keys().join(', ') || '(none)';

  log('\n1. sign in');
  await auth.signIn({ username: pool.username, password: pool.password });
  log(`  stored keys: ${storedKeys()}`);

  log('\n2. local sign-out (RevokeToken, then clear)');
  const local = await auth.signOut();
  log(`  result: ${JSON.stringify(local, null, 2).replaceAll('\n', '\n  ')}`);
  log(`  stored keys: ${storedKeys()}`);

  log('\n3. sign in again');
  await auth.signIn({ username: pool.username, password: pool.password });

  log('\n4. global sign-out (cognito-local answers GlobalSignOut with HTTP 500 "Unsupported": watch the fallback)');
  const global = await auth.signOut({ global: true });
  log(`  result: ${JSON.stringify(global, null, 2).replaceAll('\n', '\n  ')}`);
  log(`  stored keys: ${storedKeys()}`);

  log('\n5. a user created with a temporary password (AdminCreateUser, no permanent password)');
  const newcomer = { username: 'newcomer@example.com', password: 'Temp-Pass-1' };
  await cognito.addUser(newcomer.username, { password: newcomer.password, temporary: true });
  log(`  user ${newcomer.username}, temporary password ${newcomer.password}`);
  const challenged = await auth.signIn({ username: newcomer.username, password: newcomer.password });
  log(`  signIn result: ${JSON.stringify(challenged)}`);
  log(`  state: ${auth.state}, stored keys: ${storedKeys()}`);
  log('  confirmSignIn(<new password>)');
  const confirmed = await auth.confirmSignIn('Brand-New-Pass-2');
  log(`  confirmSignIn result: ${JSON.stringify(confirmed)}`);
  log(`  state: ${auth.state}, stored keys: ${storedKeys()}`);

  auth.stop();
  const challengeOk = challenged.status === 'challenge' && confirmed.status === 'signedIn';
  if (local.status === 'failed' || global.status === 'failed' || !challengeOk) process.exitCode = 1;
} finally {
  await cognito.stop();
  log('\nembedded Cognito stopped');
}
