import type { User } from '../../directory/users.js';

/** Stands in for a name that matches no account while the eligibility queries run. */
export const NOBODY: User = {
  id: '00000000-0000-4000-8000-000000000000',
  username: '',
  displayName: '',
  email: null,
  enabled: false,
  source: 'cloud',
  anchor: null,
  roles: [],
  hasPassword: false,
  passwordChangedAt: null,
  createdAt: 0,
  securityInfoConfirmedAt: null,
};
