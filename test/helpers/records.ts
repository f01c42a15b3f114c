import type { TokenStorage } from '../../src/index.js';

/** The one session record the store writes (`authchart.<clientId>.session`), parsed; `null` when absent. */
export async function readRecord(
  storage: TokenStorage,
  clientId = 'client123',
): Promise<{ id: string; signedInWith: string; accessToken: string; idToken: string; refreshToken: string } | null> {
  const raw = await storage.getItem(`authchart.${clientId}.session`);
  return raw ? JSON.parse(raw) : null;
}
