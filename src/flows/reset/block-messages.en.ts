/** The reset flow's words about the wrong-answer block: the warning before the last try, and until when it holds. */
export const resetBlockMessages = {
  'reset.block.warnOne': '1 attempt left before self-service is blocked for {duration}.',
  'reset.block.warnMany': '{n, plural, one {# attempt} other {# attempts}} left before self-service is blocked for {duration}.',
  'reset.block.until': 'Too many wrong codes or answers. For your security, self-service is blocked until {until} (for about {duration}).',
  'reset.block.lifted': 'The block has been lifted. Start again to reset your password or unlock your account.',
  'reset.block.startAgain': 'Start again',
  'reset.block.helpdesk': 'Need to get in sooner? Contact your helpdesk:',
  'reset.block.noHelpdesk': 'Need to get in sooner? Contact your administrator.',
  'reset.duration.minute': '1 minute',
  'reset.duration.minutes': '{n, plural, one {# minute} other {# minutes}}',
  'reset.duration.hour': '1 hour',
  'reset.duration.hours': '{n, plural, one {# hour} other {# hours}}',
} as const;
