/**
 * The signed-in user's own account calls: password change and attributes (docs/account.md). Each
 * takes the access token from `fetchTokens()`, so while no user is signed in it answers
 * `NotSignedIn` without a request; none of them changes the session.
 */
import { AuthError } from '../errors.js';
import type { Auth } from '../public-types.js';
import { type CodeDeliveryDetails, delivery, given, userCall } from './call.js';

/** Per attribute asked to change: done, or waiting for the code Cognito sent to verify it. */
export type UpdateUserAttributesOutput = Record<
  string,
  {
    isUpdated: boolean;
    nextStep:
      | { updateAttributeStep: 'CONFIRM_ATTRIBUTE_WITH_CODE'; codeDeliveryDetails: CodeDeliveryDetails }
      | { updateAttributeStep: 'DONE' };
  }
>;

/** Attributes as Cognito's `[{ Name, Value }]`, each value a string (`InvalidInput` names the one that is not). */
function attributeList(attributes: Record<string, unknown> | undefined): { Name: string; Value: string }[] {
  if (!attributes || typeof attributes !== 'object')
    throw new AuthError('InvalidInput', 'userAttributes must be an object');
  return Object.entries(attributes).map(([Name, Value]) => {
    if (Name === '__proto__') throw new AuthError('InvalidInput', 'no attribute is named __proto__');
    if (typeof Value !== 'string') throw new AuthError('InvalidInput', `${Name} must be a string`);
    return { Name, Value };
  });
}

/**
 * Changes the signed-in user's password. The session stays signed in: Cognito keeps its tokens.
 * `NotAuthorized` means the old password was wrong; `InvalidPassword` keeps the pool's policy message.
 */
export async function updatePassword(auth: Auth, input: { oldPassword: string; newPassword: string }): Promise<void> {
  const oldPassword = given(input?.oldPassword, 'oldPassword');
  const newPassword = given(input.newPassword, 'newPassword');
  await userCall(auth, 'ChangePassword', { PreviousPassword: oldPassword, ProposedPassword: newPassword }, [
    oldPassword,
    newPassword,
  ]);
}

/** The signed-in user's attributes, as Cognito holds them now (`sub`, `email`, `email_verified`, …). */
export async function fetchUserAttributes(auth: Auth): Promise<Record<string, string>> {
  const answer = await userCall(auth, 'GetUser', {});
  const out: Record<string, string> = {};
  const list = Array.isArray(answer['UserAttributes']) ? answer['UserAttributes'] : [];
  for (const item of list as unknown[]) {
    const a = (item && typeof item === 'object' ? item : {}) as Record<string, unknown>;
    // `__proto__` would set the result's prototype, not a key: no attribute has that name.
    if (typeof a['Name'] === 'string' && typeof a['Value'] === 'string' && a['Name'] !== '__proto__') {
      out[a['Name']] = a['Value'];
    }
  }
  return out;
}

/**
 * Changes attributes. One that the pool verifies (an e-mail, a phone number) waits for the code
 * Cognito sent: `confirmUserAttribute` with it.
 *
 * @example
 * const out = await updateUserAttributes(auth, { userAttributes: { email: 'new@example.com' } });
 * if (out.email?.nextStep.updateAttributeStep === 'CONFIRM_ATTRIBUTE_WITH_CODE') askForCode();
 */
export async function updateUserAttributes(
  auth: Auth,
  input: { userAttributes: Record<string, string> },
): Promise<UpdateUserAttributesOutput> {
  const list = attributeList(input?.userAttributes);
  const answer = await userCall(auth, 'UpdateUserAttributes', { UserAttributes: list });
  const pending = new Map<string, CodeDeliveryDetails>();
  const deliveries = Array.isArray(answer['CodeDeliveryDetailsList']) ? answer['CodeDeliveryDetailsList'] : [];
  for (const d of deliveries as unknown[]) {
    const details = delivery({ CodeDeliveryDetails: d });
    if (details.attributeName) pending.set(details.attributeName, details);
  }
  const out: UpdateUserAttributesOutput = {};
  for (const { Name } of list) {
    const waiting = pending.get(Name);
    out[Name] = waiting
      ? {
          isUpdated: false,
          nextStep: { updateAttributeStep: 'CONFIRM_ATTRIBUTE_WITH_CODE', codeDeliveryDetails: waiting },
        }
      : { isUpdated: true, nextStep: { updateAttributeStep: 'DONE' } };
  }
  return out;
}

/** Verifies an attribute (`email`, `phone_number`) with the code Cognito sent. */
export async function confirmUserAttribute(
  auth: Auth,
  input: { userAttributeKey: string; confirmationCode: string },
): Promise<void> {
  const key = given(input?.userAttributeKey, 'userAttributeKey');
  const code = given(input.confirmationCode, 'confirmationCode');
  await userCall(auth, 'VerifyUserAttribute', { AttributeName: key, Code: code }, [code]);
}

/** Sends a code to verify an attribute (`email`, `phone_number`). */
export async function sendUserAttributeVerificationCode(
  auth: Auth,
  input: { userAttributeKey: string },
): Promise<CodeDeliveryDetails> {
  const key = given(input?.userAttributeKey, 'userAttributeKey');
  return delivery(await userCall(auth, 'GetUserAttributeVerificationCode', { AttributeName: key }));
}

/** Removes attributes (not required ones: Cognito refuses those with `InvalidInput`). */
export async function deleteUserAttributes(auth: Auth, input: { userAttributeKeys: string[] }): Promise<void> {
  const keys = input?.userAttributeKeys;
  if (!Array.isArray(keys) || keys.length === 0) {
    throw new AuthError('InvalidInput', 'userAttributeKeys must be a non-empty array');
  }
  await userCall(auth, 'DeleteUserAttributes', {
    UserAttributeNames: keys.map((k) => given(k, 'userAttributeKeys[]')),
  });
}
