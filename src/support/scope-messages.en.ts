/** Strings of the helpdesk's reach: its refusals, its console start page and the scope form (merged into the English catalogue). */
export const supportScopeMessages = {
  'support.refuse.privileged': 'Helpdesk users cannot act on administrators or other helpdesk users. Ask an administrator.',
  'support.refuse.self': 'You cannot act on your own account here. Use My account, or ask another helpdesk user or an administrator.',
  'support.refuse.notAllowed': 'Your account does not have access to this page.',

  'support.home.title': 'Support desk',
  'support.home.intro': 'Find the user who asked for help: search by username, name or email address.',
  'support.home.scoped': 'You see the users of your helpdesk scope only.',
  'support.home.allUsers': 'Or see all users you can help.',

  'scope.title': 'Helpdesk scope',
  'scope.intro': 'Which users this helpdesk user may see and help. With nothing chosen they may help every user (never administrators or other helpdesk users).',
  'scope.groups': 'Members of these groups (nested groups included)',
  'scope.noGroups': 'There are no groups yet.',
  'scope.deletedGroup': 'A deleted group (matches nobody; save to remove it)',
  'scope.ous': 'Hybrid users in these AD organisational units',
  'scope.ousHint': 'One distinguished name per line, for example OU=Sales,DC=corp,DC=example,DC=com. Users in OUs below it are included.',
  'scope.save': 'Save scope',
  'scope.current.all': 'Now: every user.',
  'scope.current.some': 'Now: {n, plural, one {# group or OU} other {# groups or OUs}}.',
  'scope.done.saved': 'Helpdesk scope saved.',
  'scope.refuse.notHelpdesk': 'Only a helpdesk user (role Password administrator, not an administrator) has a helpdesk scope.',
  'scope.v.group': 'Choose groups from the list.',
  'scope.v.ou': 'Enter each OU as a distinguished name, one per line, like OU=Sales,DC=corp,DC=example,DC=com.',
  'scope.v.tooMany': 'A scope has at most 50 groups and OUs together.',
  'scope.field.groups': 'Groups',
  'scope.field.ous': 'Organisational units',
} as const;
