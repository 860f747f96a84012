import type { AppContext } from '../http/context.js';
import { Field, Submit } from '../http/ui/forms.js';
import { Csrf, Notice } from '../http/ui/layout.js';
import type { MessageKey } from '../i18n/index.js';
import type { Method } from './method-store.js';
import { describeMethod, maskEmail, maskPhone } from './phone.js';

export function methodName(c: AppContext, m: Method): string {
  return describeMethod(c.get('t'), m);
}

/** The hint above a code field: where the code went and for how long it is valid. */
export function codeHint(c: AppContext, m: Method, channel: 'sms' | 'voice' | null, minutes: number): string {
  const t = c.get('t');
  if (m.type === 'totp') return t('methods.code.hintTotp');
  if (m.type === 'recovery_code') return t('methods.recovery.hint');
  if (m.type === 'email') return t('methods.code.hintEmail', { destination: maskEmail(m.contact ?? ''), minutes });
  const destination = maskPhone(m.contact ?? '');
  return channel === 'voice' || m.type === 'office' ? t('methods.code.hintVoice', { destination, minutes }) : t('methods.code.hintSms', { destination, minutes });
}

/** One code form for every purpose: registration, test, re-verification and sign-in. */
export function CodeForm(props: { c: AppContext; action: string; hint: string; error?: MessageKey; hidden?: Record<string, string>; resendAction?: string; resendHidden?: Record<string, string>; totp?: boolean; recovery?: boolean }) {
  const { c } = props;
  const t = c.get('t');
  return (
    <>
      {props.error ? <Notice kind="error">{t(props.error)}</Notice> : null}
      <form method="post" action={props.action} class="card" novalidate>
        <Csrf c={c} />
        {Object.entries(props.hidden ?? {}).map(([k, v]) => (
          <input type="hidden" name={k} value={v} />
        ))}
        {/* A saved recovery code is 16 characters in groups, typed or pasted: nothing is sent, so there is nothing to send again. */}
        <Field t={t} name="code" label={props.recovery ? 'methods.recovery.label' : 'methods.code.label'} hint={props.hint} autocomplete={props.recovery ? 'off' : 'one-time-code'} required maxlength={props.recovery ? 40 : 12} autofocus={!props.error} />
        <Submit>{t('methods.code.submit')}</Submit>
      </form>
      {props.resendAction && !props.totp && !props.recovery ? (
        <form method="post" action={props.resendAction}>
          <Csrf c={c} />
          {Object.entries(props.resendHidden ?? {}).map(([k, v]) => (
            <input type="hidden" name={k} value={v} />
          ))}
          <Submit kind="secondary">{t('methods.code.resend')}</Submit>
        </form>
      ) : null}
    </>
  );
}
