import type { MessageKey } from '../i18n/index.js';
import type { Setting } from './settings.js';

const scores = ['0', '1', '2', '3', '4'].map((n) => ({ value: n, label: `policy.passwords.minScore.${n}` as MessageKey }));

/** The password rules' settings (the `passwords` section of the policy), in the order the console shows them. */
export const passwordSettings: readonly Setting[] = [
  { path: 'passwords.minLength', section: 'passwords', kind: 'number', label: 'policy.passwords.minLength', hint: 'policy.passwords.minLengthHint', maxlength: 3 },
  { path: 'passwords.maxLength', section: 'passwords', kind: 'number', label: 'policy.passwords.maxLength', hint: 'policy.passwords.maxLengthHint', maxlength: 3 },
  { path: 'passwords.minScore', section: 'passwords', kind: 'select', numeric: true, label: 'policy.passwords.minScore', hint: 'policy.passwords.minScoreHint', options: scores },
  { path: 'passwords.checkCommon', section: 'passwords', kind: 'yesno', label: 'policy.passwords.checkCommon', hint: 'policy.passwords.checkCommonHint' },
  { path: 'passwords.refuseNames', section: 'passwords', kind: 'yesno', label: 'policy.passwords.refuseNames', hint: 'policy.passwords.refuseNamesHint' },
  { path: 'passwords.historyCount', section: 'passwords', kind: 'number', label: 'policy.passwords.historyCount', hint: 'policy.passwords.historyCountHint', maxlength: 2 },
  { path: 'passwords.bannedCustom', section: 'passwords', kind: 'lines', label: 'policy.passwords.bannedCustom', hint: 'policy.passwords.bannedCustomHint' },
  {
    path: 'passwords.breached.mode',
    section: 'passwords',
    kind: 'radio',
    label: 'policy.passwords.breached.mode',
    hint: 'policy.passwords.breached.modeHint',
    options: [
      { value: 'off', label: 'policy.passwords.breached.mode.off' },
      { value: 'hibp', label: 'policy.passwords.breached.mode.hibp' },
      { value: 'local', label: 'policy.passwords.breached.mode.local' },
    ],
  },
  { path: 'passwords.breached.minCount', section: 'passwords', kind: 'number', label: 'policy.passwords.breached.minCount', hint: 'policy.passwords.breached.minCountHint', maxlength: 6 },
  {
    path: 'passwords.breached.failureMode',
    section: 'passwords',
    kind: 'radio',
    label: 'policy.passwords.breached.failureMode',
    options: [
      { value: 'open', label: 'policy.passwords.breached.failureMode.open' },
      { value: 'closed', label: 'policy.passwords.breached.failureMode.closed' },
    ],
  },
  { path: 'passwords.breached.timeoutMs', section: 'passwords', kind: 'number', label: 'policy.passwords.breached.timeoutMs', hint: 'policy.passwords.breached.timeoutMsHint', maxlength: 5 },
  { path: 'passwords.breached.hibpUrl', section: 'passwords', kind: 'text', label: 'policy.passwords.breached.hibpUrl', hint: 'policy.passwords.breached.hibpUrlHint', maxlength: 300 },
  { path: 'passwords.breached.localFolder', section: 'passwords', kind: 'text', label: 'policy.passwords.breached.localFolder', hint: 'policy.passwords.breached.localFolderHint', maxlength: 500 },
  { path: 'passwords.breached.localUrl', section: 'passwords', kind: 'text', label: 'policy.passwords.breached.localUrl', hint: 'policy.passwords.breached.localUrlHint', maxlength: 300 },
];
