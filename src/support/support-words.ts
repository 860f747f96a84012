import { formatDateTime } from '../http/ui/dates.js';
import { isMessageKey, type Translate } from '../i18n/index.js';
import type { MaskedMethod, SupportView } from './types.js';

/** The support view in words, the same on the page and in `sspr user support`. */

const when = (ms: number) => formatDateTime(ms, 'minute');

/** The state of self-service in one line, for the summary's badge: blocked until when and why, or available. */
export function selfServiceLine(t: Translate, view: SupportView): { blocked: boolean; text: string } {
  const s = view.selfService;
  if (s.blockedUntil !== null) {
    const by = s.blockedBy ?? 'wrong_codes';
    const n = by === 'wrong_codes' ? s.failedAttempts : by === 'email_sends' ? s.codesSent.email : s.codesSent.phone;
    return { blocked: true, text: t(`support.state.blocked.${by}`, { until: when(s.blockedUntil), n }) };
  }
  if (s.notMe) return { blocked: true, text: t('support.state.notMe') };
  return { blocked: false, text: t('support.state.ok') };
}

export function signInLine(t: Translate, view: SupportView): { blocked: boolean; text: string } {
  const s = view.signIn;
  return s.lockedUntil !== null ? { blocked: true, text: t('support.signIn.locked', { until: when(s.lockedUntil), n: s.failures }) } : { blocked: false, text: t('support.signIn.ok') };
}

/** An audit event in words ("Password reset"); one without words of its own reads as its name in plain words. */
export function eventWords(t: Translate, event: string): string {
  const key = `support.event.${event}`;
  if (isMessageKey(key)) return t(key);
  const words = event.replace(/_/g, ' ').trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

export function methodKind(t: Translate, m: Pick<MaskedMethod, 'type'>): string {
  return t(`support.methods.type.${m.type}`);
}

/** The method's details as the helpdesk may see them: a masked contact, a name, how many codes are left. */
export function methodDetails(t: Translate, m: MaskedMethod): string {
  if (m.recoveryCodes) return t('support.methods.recoveryLeft', m.recoveryCodes);
  if (m.type === 'questions') return t('support.methods.questionsRegistered');
  return m.masked;
}

