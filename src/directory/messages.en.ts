/** The directory service's refusals (users and groups), shown by the console, the API and the CLI. */
export const directoryMessages = {
  'users.exists': 'A user with this username already exists.',
  'users.notFound': 'That user does not exist.',
  'users.refuse.selfDisable': 'You cannot disable your own account.',
  'users.refuse.lastAdmin': 'This is the last enabled administrator; keep at least one.',
  'users.refuse.selfDemote': 'You cannot remove your own administrator role.',
  'users.refuse.onprem': 'This user\'s password lives in Active Directory: use "Set the password in Active Directory" below.',
  'users.refuse.notOnprem': 'This action is for users from Active Directory only.',
  'users.refuse.temporaryPasswordsOff': 'Setting a password for a user is switched off in the policy (Helpdesk: temporary passwords). Nothing was changed. The user can reset it themselves, or be sent a reset link from their page.',
  'users.refuse.alreadyMember': 'The user is already a direct member of that group.',
  'groups.exists': 'A group with this name already exists.',
  'groups.notFound': 'That group does not exist.',
  'groups.refuse.self': 'A group cannot be a member of itself.',
  'groups.refuse.noSuchMember': 'No user or group with that name exists.',
  'groups.refuse.alreadyMember': 'That is already a direct member.',
  'groups.refuse.synced': 'This group comes from Active Directory: rename or delete it there, and the next sync brings the change.',
  'groups.refuse.inPolicy': 'The self-service policy uses this group to choose who may reset. Take it out of the policy first, then delete it.',
} as const;
