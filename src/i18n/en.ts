import { deliveryMessages } from '../delivery/messages.en.js';
import { policyMessages } from '../policy/messages.en.js';
import { apiMessages } from '../api/messages.en.js';
import { reportMessages } from '../reports/messages.en.js';
import { resetMessages } from '../flows/reset/messages.en.js';
import { resetBlockMessages } from '../flows/reset/block-messages.en.js';
import { writebackMessages } from '../writeback/messages.en.js';
import { adMessages } from '../ad/messages.en.js';
import { syncMessages } from '../sync/messages.en.js';
import { agentAdminMessages } from '../writeback/admin-messages.en.js';
import { syncAdminMessages } from '../sync/admin-messages.en.js';
import { methodMessages } from '../methods/messages.en.js';
import { recoveryCodeMessages } from '../methods/recovery-messages.en.js';
import { changeMessages } from '../flows/change/messages.en.js';
import { signInMessages } from '../auth/messages.en.js';
import { accountMessages } from '../account/messages.en.js';
import { setupMessages } from '../setup/messages.en.js';
import { adminMessages } from '../admin/messages.en.js';
import { auditMessages } from '../audit/messages.en.js';
import { consoleMessages } from '../http/ui/console-messages.en.js';
import { directoryMessages } from '../directory/messages.en.js';
import { notMeMessages } from '../not-me/messages.en.js';
import { supportScopeMessages } from '../support/scope-messages.en.js';
import { supportPageMessages } from '../support/page-messages.en.js';
import { verificationMessages } from '../support/verification-messages.en.js';
import { supportActionMessages } from '../support/action-messages.en.js';
import { brandMessages } from '../branding/messages.en.js';
import { wordingMessages } from '../wording/messages.en.js';
import { settingsMessages } from '../settings/messages.en.js';

/**
 * The English message catalogue. Every user-facing string goes through here (pages, form
 * errors, emails later) so that other languages are a new file, not a hunt through code.
 * `{name}` placeholders are filled by t().
 */
export const coreMessages = {
  'app.skip': 'Skip to main content',
  'app.nav.label': 'Main',
  'app.nav.account': 'My account',
  'app.nav.admin': 'Admin console',
  'app.nav.supportDesk': 'Support desk',
  'app.nav.signOut': 'Sign out',
  'app.nav.signIn': 'Sign in',
  'app.footer': '{product} · self-service password portal of {org}',
  'app.helpdesk': 'Need help? Contact {helpdesk}.',
  'app.language.nav': 'Language',

  'time.ago.now': 'just now',
  'time.ago.seconds': '{n, plural, one {# second} other {# seconds}} ago',
  'time.ago.minutes': '{n, plural, one {# minute} other {# minutes}} ago',
  'time.ago.hours': '{n, plural, one {# hour} other {# hours}} ago',
  'time.ago.days': '{n, plural, one {# day} other {# days}} ago',
  'time.in.minutes': 'in {n, plural, one {# minute} other {# minutes}}',
  'time.in.hours': 'in {n, plural, one {# hour} other {# hours}}',

  'error.title': 'Something went wrong',
  'error.notFound.title': 'Page not found',
  'error.notFound.body': 'There is no page at this address. Check the link, or go back to the start page.',
  'error.forbidden.title': 'Not allowed',
  'error.forbidden.body': 'Your account does not have access to this page.',
  'error.csrf.title': 'Your form expired',
  'error.csrf.body': 'For your safety the form could not be accepted. Go back, reload the page and try again.',
  'error.tooLarge': 'The request was too large.',
  'error.internal': 'An unexpected error stopped this request. Nothing was changed. Try again in a moment.',
  'error.goHome': 'Go to the start page',
  'error.formHasProblems': 'There is a problem with what you entered.',

  'field.username': 'Username',
  'field.usernameHint': 'Letters, digits and . _ @ + \' - (for example a.smith or a.smith@example.com).',
  'field.displayName': 'Display name',
  'field.email': 'Email address',
  'field.emailOptional': 'Email address (optional)',
  'field.password': 'Password',
  'field.passwordHint': 'At least {min, plural, one {# character} other {# characters}}.',
  'field.confirmPassword': 'Type the password again',
  'field.roles': 'Roles',
  'field.description': 'Description (optional)',
  'field.groupName': 'Group name',
  'field.search': 'Search users',

  'v.username.required': 'Enter a username.',
  'v.username.tooLong': 'A username is at most 256 characters.',
  'v.username.chars': 'A username may contain letters, digits and . _ @ + \' - only.',
  'v.displayName.required': 'Enter a display name.',
  'v.displayName.tooLong': 'A display name is at most 256 characters.',
  'v.noControlChars': 'This field cannot contain control characters.',
  'v.email.invalid': 'Enter a valid email address, like name@example.com.',
  'v.email.tooLong': 'An email address is at most 320 characters.',
  'v.groupName.required': 'Enter a group name.',
  'v.groupName.tooLong': 'A group name is at most 256 characters.',
  'v.description.tooLong': 'A description is at most 1024 characters.',
  'v.role.invalid': 'Choose roles from the list.',
  'v.password.empty': 'Enter a password.',
  'v.password.tooShort': 'Use at least {min, plural, one {# character} other {# characters}}.',
  'v.password.tooLong': 'A password can be at most {max, plural, one {# character} other {# characters}}.',
  'v.password.controlChars': 'A password cannot contain control characters such as tab or newline.',
  'v.password.mismatch': 'The two passwords are not the same.',
  'v.field.invalid': 'This value is not valid.',
  'v.field.tooLong': 'This value is too long.',
  'v.memberType.invalid': 'Choose whether to add a user or a group.',

  'pager.page': 'Page {page} of {pages}',
  'pager.prev': 'Previous page',
  'pager.next': 'Next page',
  'v.phone.invalid': 'Enter a valid phone number, like +44 20 7946 0958.',
  'v.phone.tooLong': 'A phone number is at most 40 characters.',
  'v.code.invalid': 'Enter the code: digits only.',
  'v.question.choose': 'Choose a question from the list.',
  'v.question.duplicate': 'Choose a different question for each answer.',
  'v.question.count': 'Answer the number of questions asked.',
  'v.answer.length': 'An answer has 3 to 40 characters.',
  'v.answer.duplicate': 'Give a different answer to each question.',
  'v.password.refused': 'This password cannot be used:',
  'v.password.bannedWord': 'It contains a commonly used word: {words}. Add another word or two that are less common.',
  'v.password.banned': 'It is built on a commonly used word. Add another word or two that are less common.',
  'v.password.name': 'It is too similar to your name or username.',
  'v.password.organisation': 'It contains the name of the organisation.',
  'v.password.common': 'This is one of the most common passwords.',
  'v.password.weak': 'It is too easy to guess: add another word or two. Several uncommon words make a strong password; symbols and digits add little.',
  'v.password.breached': 'This password appeared in a data breach {count} times. Attackers try such passwords first: choose another one.',
  'v.password.breachedOnce': 'This password appeared in a data breach once. Attackers try such passwords first: choose another one.',
  'v.password.breachedAny': 'This password appeared in a data breach. Attackers try such passwords first: choose another one.',
  'v.password.breachedUnknown': 'We could not check this password against known data breaches right now. Try again in a minute.',
  'v.password.reused': 'You used this password recently. Choose one you have not used before.',
  'v.passkeyName.required': 'Enter a name for the passkey.',
  'v.passkeyName.tooLong': 'A passkey name is at most 60 characters.',
  'v.passkeyName.taken': 'You already have a passkey with this name. Choose another name.',
} as const;

/** One catalogue, assembled from the core strings and each feature's own file. */
export const en = { ...coreMessages, ...methodMessages, ...recoveryCodeMessages, ...changeMessages, ...signInMessages, ...accountMessages, ...setupMessages, ...consoleMessages, ...adminMessages, ...directoryMessages, ...auditMessages, ...deliveryMessages, ...policyMessages, ...apiMessages, ...reportMessages, ...resetMessages, ...resetBlockMessages, ...writebackMessages, ...adMessages, ...syncMessages, ...agentAdminMessages, ...syncAdminMessages, ...notMeMessages, ...supportScopeMessages, ...supportPageMessages, ...verificationMessages, ...supportActionMessages, ...brandMessages, ...wordingMessages, ...settingsMessages };

export type MessageKey = keyof typeof en;
