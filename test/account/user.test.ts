/**
 * `authchart/account`'s calls for the signed-in user, over the fetch transport with a fake Cognito:
 * the access token comes from `fetchTokens()`, `NotSignedIn` without a request while signed out,
 * what each call sends and answers, and no password, code or token in any error.
 */
import { describe, expect, it } from 'vitest';
import {
  confirmUserAttribute,
  deleteUserAttributes,
  fetchUserAttributes,
  sendUserAttributeVerificationCode,
  updatePassword,
  updateUserAttributes,
} from '../../src/account/index.js';
import { isAuthError } from '../../src/index.js';
import { accountInstances, accountTokens, failure } from '../helpers/account.js';
import { fault } from '../helpers/fake-cognito-fetch.js';

const tokens = accountTokens;
const OLD = 'Old-Passw0rd!';
const NEW = 'New-Passw0rd!';
const { signedIn, signedOut } = accountInstances();

describe('authchart/account: the signed-in user', () => {
  it('while signed out every call is NotSignedIn, and no request is sent', async () => {
    const { auth, calls } = signedOut(() => ({ body: {} }));
    await auth.ready;
    for (const call of [
      () => updatePassword(auth, { oldPassword: OLD, newPassword: NEW }),
      () => fetchUserAttributes(auth),
      () => updateUserAttributes(auth, { userAttributes: { name: 'Ana' } }),
    ]) {
      const e = await failure(call());
      expect(isAuthError(e) && e.code).toBe('NotSignedIn');
    }
    expect(calls).toHaveLength(0);
  });

  it('updatePassword sends the access token and both passwords, and the session stays signed in', async () => {
    const { auth, later } = await signedIn(() => ({ body: {} }));
    await updatePassword(auth, { oldPassword: OLD, newPassword: NEW });
    expect(later().map((c) => [c.target.split('.')[1], c.body])).toEqual([
      ['ChangePassword', { AccessToken: tokens.accessToken, PreviousPassword: OLD, ProposedPassword: NEW }],
    ]);
    expect(auth.state).toBe('signedIn.waitingToRefresh');
  });

  it('a wrong old password is NotAuthorized, and no password or token is in the error', async () => {
    const { auth } = await signedIn(() =>
      fault('NotAuthorizedException', 400, `Incorrect password ${OLD} for ${tokens.accessToken}`),
    );
    const e = await failure(updatePassword(auth, { oldPassword: OLD, newPassword: NEW }));
    expect(isAuthError(e) && e.code).toBe('NotAuthorized');
    const text = JSON.stringify({ m: (e as Error).message, c: String((e as Error).cause) });
    for (const secret of [OLD, NEW, tokens.accessToken]) expect(text).not.toContain(secret);
  });

  it('fetchUserAttributes answers the attributes as an object, reading only string pairs', async () => {
    const { auth } = await signedIn(() => ({
      body: {
        Username: 'alice',
        UserAttributes: [
          { Name: 'sub', Value: 'sub-1' },
          { Name: 'email', Value: 'alice@example.com' },
          { Name: 'bad', Value: 7 },
          'junk',
        ],
      },
    }));
    await expect(fetchUserAttributes(auth)).resolves.toEqual({ sub: 'sub-1', email: 'alice@example.com' });
  });

  it('updateUserAttributes: an attribute the pool verifies waits for its code; the others are done', async () => {
    const { auth, later } = await signedIn(() => ({
      body: {
        CodeDeliveryDetailsList: [{ AttributeName: 'email', DeliveryMedium: 'EMAIL', Destination: 'n***@e***.com' }],
      },
    }));
    await expect(
      updateUserAttributes(auth, { userAttributes: { email: 'new@example.com', name: 'Ana' } }),
    ).resolves.toEqual({
      email: {
        isUpdated: false,
        nextStep: {
          updateAttributeStep: 'CONFIRM_ATTRIBUTE_WITH_CODE',
          codeDeliveryDetails: { attributeName: 'email', deliveryMedium: 'EMAIL', destination: 'n***@e***.com' },
        },
      },
      name: { isUpdated: true, nextStep: { updateAttributeStep: 'DONE' } },
    });
    expect(later()[0]?.body).toEqual({
      AccessToken: tokens.accessToken,
      UserAttributes: [
        { Name: 'email', Value: 'new@example.com' },
        { Name: 'name', Value: 'Ana' },
      ],
    });
  });

  it('confirmUserAttribute, sendUserAttributeVerificationCode and deleteUserAttributes send what Cognito expects', async () => {
    const { auth, later } = await signedIn((c) =>
      c.target.endsWith('.GetUserAttributeVerificationCode')
        ? { body: { CodeDeliveryDetails: { AttributeName: 'email', DeliveryMedium: 'EMAIL', Destination: 'a***' } } }
        : { body: {} },
    );
    await expect(sendUserAttributeVerificationCode(auth, { userAttributeKey: 'email' })).resolves.toEqual({
      attributeName: 'email',
      deliveryMedium: 'EMAIL',
      destination: 'a***',
    });
    await confirmUserAttribute(auth, { userAttributeKey: 'email', confirmationCode: '123456' });
    await deleteUserAttributes(auth, { userAttributeKeys: ['nickname'] });
    expect(later().map((c) => [c.target.split('.')[1], c.body])).toEqual([
      ['GetUserAttributeVerificationCode', { AccessToken: tokens.accessToken, AttributeName: 'email' }],
      ['VerifyUserAttribute', { AccessToken: tokens.accessToken, AttributeName: 'email', Code: '123456' }],
      ['DeleteUserAttributes', { AccessToken: tokens.accessToken, UserAttributeNames: ['nickname'] }],
    ]);
  });

  it('a value that is not a string, or no keys to delete, is InvalidInput before any request', async () => {
    const { auth, later } = await signedIn(() => ({ body: {} }));
    const e1 = await failure(updateUserAttributes(auth, { userAttributes: { age: 7 as unknown as string } }));
    expect(isAuthError(e1) && e1.code).toBe('InvalidInput');
    const e2 = await failure(deleteUserAttributes(auth, { userAttributeKeys: [] }));
    expect(isAuthError(e2) && e2.code).toBe('InvalidInput');
    expect(later()).toHaveLength(0);
  });
});
