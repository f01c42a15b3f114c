import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { inject } from 'vitest';
import { createPoolWithUser, type EmbeddedCognito, type PoolSetup } from '../../tools/embedded-cognito.js';

/** The run's embedded Cognito (started by the global setup) with a fresh pool, client and user. */
export async function freshPool(
  opts: { accessTokenValiditySeconds?: number } = {},
): Promise<PoolSetup & { endpoint: string }> {
  const endpoint = inject('cognitoEndpoint');
  const admin = new CognitoIdentityProviderClient({
    endpoint,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  try {
    const pool = await createPoolWithUser({ endpoint, admin, stop: async () => {} } satisfies EmbeddedCognito, opts);
    return { ...pool, endpoint };
  } finally {
    admin.destroy();
  }
}
