/**
 * An account call is sent once, on both transports: a retry of a LimitExceeded would spend one more
 * attempt, and of a 5xx could send a second code or spend one (docs/account.md). The session calls
 * keep their retry.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { confirmSignUp, resetPassword } from '../../src/account/index.js';
import { cognitoServices as fetchServices } from '../../src/adapters/cognito/index.js';
import { cognitoServices as sdkServices } from '../../src/adapters/cognito-sdk.js';
import { type AuthServices, createAuth, isAuthError, memoryStorage } from '../../src/index.js';
import { failure } from '../helpers/account.js';

const requests: string[] = [];
let answer = { status: 400, type: 'LimitExceededException' };
let server: Server;
let endpoint = '';
beforeAll(async () => {
  server = createServer((req, res) => {
    requests.push(String(req.headers['x-amz-target']).split('.')[1] ?? '');
    req.resume();
    res.writeHead(answer.status, { 'content-type': 'application/x-amz-json-1.1' });
    res.end(JSON.stringify({ __type: answer.type, message: 'try later' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

type Make = (o: { clientId: string; region: string; endpoint: string; authFlow: 'USER_PASSWORD_AUTH' }) => AuthServices;
describe.each([
  ['authchart/cognito (fetch)', fetchServices as Make],
  ['authchart/cognito-sdk', sdkServices as Make],
])('%s: an account call is sent once', (_name, make) => {
  const instance = () =>
    createAuth({
      services: make({ clientId: 'c', region: 'eu-west-1', endpoint, authFlow: 'USER_PASSWORD_AUTH' }),
      storage: memoryStorage(),
      sync: null,
    });

  it('LimitExceeded: one request, LimitExceeded', async () => {
    requests.length = 0;
    answer = { status: 400, type: 'LimitExceededException' };
    const auth = instance();
    const e = await failure(confirmSignUp(auth, { username: 'ana', confirmationCode: '123456' }));
    auth.stop();
    expect(isAuthError(e) && e.code).toBe('LimitExceeded');
    expect(requests).toEqual(['ConfirmSignUp']);
  });

  it('a 5xx: one request, Service', async () => {
    requests.length = 0;
    answer = { status: 500, type: 'InternalErrorException' };
    const auth = instance();
    const e = await failure(resetPassword(auth, { username: 'ana' }));
    auth.stop();
    expect(isAuthError(e) && e.code).toBe('Service');
    expect(requests).toEqual(['ForgotPassword']);
  });

  it('a session call still retries a throttle', async () => {
    requests.length = 0;
    answer = { status: 400, type: 'TooManyRequestsException' };
    const services = make({ clientId: 'c', region: 'eu-west-1', endpoint, authFlow: 'USER_PASSWORD_AUTH' });
    await failure(services.revokeToken('r', AbortSignal.timeout(10_000)));
    expect(requests.length).toBeGreaterThan(1);
  });
});
