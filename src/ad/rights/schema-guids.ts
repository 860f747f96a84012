/**
 * The schema GUIDs the rights check reads ACEs by: the rights writeback needs, the ones it
 * notes, and the ones that make an account too powerful.
 */

/** Schema GUIDs (MS-ADA, MS-ADTS 5.1.3.2.1), lower case. */
export const AD_GUID = {
  userClass: 'bf967aba-0de6-11d0-a285-00aa003049e2',
  resetPassword: '00299570-246d-11d0-a768-00aa006e0529',
  changePassword: 'ab721a53-1e2f-11d0-9819-00aa0040529b',
  unexpirePassword: 'ccc2dc7d-a6ad-4a7a-8846-c04e3cc53501',
  lockoutTime: '28630ebf-41d5-11d1-a9c1-0000f80367c1',
  pwdLastSet: 'bf967a0a-0de6-11d0-a285-00aa003049e2',
  /** The Account Restrictions property set, to which pwdLastSet belongs (its attributeSecurityGUID). */
  accountRestrictions: '4c164200-20c0-11d0-a768-00aa006e0529',
  replicationGetChanges: '1131f6aa-9c07-11d1-f79f-00c04fc2dcd2',
  replicationGetChangesAll: '1131f6ad-9c07-11d1-f79f-00c04fc2dcd2',
  keyCredentialLink: '5b47d60f-6090-40b2-9f37-2a4de88f3063',
  allowedToActOnBehalf: '3f78c3e5-f79a-46bd-a0b8-9d18116ddc79',
} as const;

/** Names for GUIDs an ACE may name, for messages. */
export const GUID_NAMES: Record<string, string> = {
  [AD_GUID.userClass]: 'user objects',
  [AD_GUID.resetPassword]: 'Reset Password',
  [AD_GUID.changePassword]: 'Change Password',
  [AD_GUID.unexpirePassword]: 'Unexpire Password',
  [AD_GUID.lockoutTime]: 'lockoutTime',
  [AD_GUID.pwdLastSet]: 'pwdLastSet',
  [AD_GUID.accountRestrictions]: 'the Account Restrictions property set (userAccountControl, accountExpires, pwdLastSet …)',
  [AD_GUID.replicationGetChanges]: 'Replicating Directory Changes',
  [AD_GUID.replicationGetChangesAll]: 'Replicating Directory Changes All',
  [AD_GUID.keyCredentialLink]: 'msDS-KeyCredentialLink',
  [AD_GUID.allowedToActOnBehalf]: 'msDS-AllowedToActOnBehalfOfOtherIdentity',
  'bf967a68-0de6-11d0-a285-00aa003049e2': 'userAccountControl',
  'bf9679c0-0de6-11d0-a285-00aa003049e2': 'member',
  'f3a64788-5306-11d1-a9c5-0000f80367c1': 'servicePrincipalName',
  'bf9679a8-0de6-11d0-a285-00aa003049e2': 'scriptPath',
  '5f202010-79a5-11d0-9020-00c04fc2d4cf': 'the Logon Information property set',
  'bf967950-0de6-11d0-a285-00aa003049e2': 'description',
  '800d94d7-b7a1-42a1-b14d-7cae1423d07f': 'msDS-AllowedToDelegateTo',
};

/** Attributes whose write lets the holder take over the account: as bad as full control. */
export const TAKEOVER_PROPERTIES = new Set<string>([AD_GUID.keyCredentialLink, AD_GUID.allowedToActOnBehalf, '800d94d7-b7a1-42a1-b14d-7cae1423d07f']);
