/** One set-up for the `authchart/cognito-sdk` tests: a real SDK client whose commands aws-sdk-client-mock answers. */
import {
  CognitoIdentityProviderClient,
  CognitoIdentityProviderServiceException,
} from '@aws-sdk/client-cognito-identity-provider';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach } from 'vitest';

/** The client and its mock, reset after each test. */
export function mockedSdkClient() {
  const client = new CognitoIdentityProviderClient({
    region: 'eu-west-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
  const mock = mockClient(client);
  afterEach(() => mock.reset());
  return { client, mock };
}

/** A Cognito exception as the SDK throws it (`name`, `$fault`, the HTTP status). */
export function sdkException(name: string, status: number, message = `${name} happened`) {
  return new CognitoIdentityProviderServiceException({
    name,
    $fault: status >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode: status },
    message,
  });
}
