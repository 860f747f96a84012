/** Strings of the first-run set-up; merged into the English catalogue. */
export const setupMessages = {
  'setup.title': 'Set up the administrator account',
  'setup.intro': 'This one-time page creates the first administrator. The link stops working once it is used or when it expires.',
  'setup.invalid': 'This setup link is not valid any more: it was used, it expired, or an administrator already exists. Restart the portal to print a new link if there is still no administrator.',
  'setup.submit': 'Create administrator',
} as const;
