import { inject } from 'vitest';
import { adminClient, createPoolWithUser, type PoolSetup } from '../../tools/embedded-cognito.js';

/** The run's embedded Cognito (started by the global setup) with a fresh pool, client and user. */
export async function freshPool(
  opts: { accessTokenValiditySeconds?: number } = {},
): Promise<PoolSetup & { endpoint: string }> {
  const endpoint = inject('cognitoEndpoint');
  const admin = adminClient(endpoint);
  try {
    return { ...(await createPoolWithUser({ admin }, opts)), endpoint };
  } finally {
    admin.destroy();
  }
}
