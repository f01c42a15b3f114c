/**
 * Cognito `GetUser` with an access token: the BFF's example of an API call that needs the token.
 * Cognito answers only for a live token (one a global sign-out or an expiry has not ended), so
 * this checks the token on the server side rather than trusting a decoded JWT.
 */
export type GetUserResult =
  | { ok: true; value: { username: string; attributes: Record<string, string> } }
  /** Cognito's exception name (e.g. `NotAuthorizedException`), or `Network`. */
  | { ok: false; error: string };

/**
 * @example
 * const me = await getUser('https://cognito-idp.eu-west-1.amazonaws.com/', accessToken, AbortSignal.timeout(5000));
 */
export async function getUser(endpoint: string, accessToken: string, signal: AbortSignal): Promise<GetUserResult> {
  let res: Response;
  try {
    res = await fetch(endpoint, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-amz-json-1.1',
        'X-Amz-Target': 'AWSCognitoIdentityProviderService.GetUser',
      },
      body: JSON.stringify({ AccessToken: accessToken }),
      signal,
    });
  } catch {
    return { ok: false, error: 'Network' };
  }
  const body = (await res.json().catch(() => ({}))) as {
    __type?: string;
    Username?: string;
    UserAttributes?: { Name: string; Value: string }[];
  };
  if (!res.ok) return { ok: false, error: body.__type?.split('#').pop() ?? `HTTP ${res.status}` };
  const attributes: Record<string, string> = {};
  for (const a of body.UserAttributes ?? []) if (a.Name === 'sub' || a.Name === 'email') attributes[a.Name] = a.Value;
  return { ok: true, value: { username: body.Username ?? '', attributes } };
}
