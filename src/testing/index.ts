/**
 * `authchart/testing`: test an app's auth without AWS. {@link fakeCognito} answers in process, with
 * the failures, hangs and latency a test decides and a record of every call;
 * {@link startEmbeddedCognito} runs a real Cognito API (cognito-local, an optional peer dependency)
 * on this machine. See docs/guide.md, "Testing your app".
 */

export type { EmbeddedCognito, EmbeddedCognitoOptions } from './embedded-cognito.js';
export { startEmbeddedCognito } from './embedded-cognito.js';
export type {
  FakeAnswers,
  FakeCall,
  FakeCognito,
  FakeCognitoOptions,
  FakeFailureOptions,
  FakeOperation,
} from './fake-cognito.js';
export { fakeCognito } from './fake-cognito.js';
export type { FakeUser, TestUser } from './fake-pool.js';
export type { FakeTokenOptions } from './fake-tokens.js';
export { FAKE_CLIENT_ID, FAKE_USER_POOL_ID, fakeTokens } from './fake-tokens.js';
