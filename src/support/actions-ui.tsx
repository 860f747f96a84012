import type { AppContext } from '../http/context.js';
import { Csrf, Notice } from '../http/ui/layout.js';
import type { MessageKey } from '../i18n/index.js';
import { REASON_MAX, VERIFIED_ONLY, type SupportActionName } from './support-actions.js';
import type { MaskedMethod, SupportView } from './types.js';

/** The path segment of each action under /admin/users/{key}/support/. */
export const ACTION_PATHS: Record<SupportActionName, string> = {
  unblock: 'unblock',
  clearLockout: 'clear-lockout',
  unlockAd: 'unlock-ad',
  removeMethod: 'remove-method',
  requireRegistration: 'require-registration',
  endSessions: 'end-sessions',
  resetLink: 'reset-link',
};

export const actionPath = (userId: string, action: SupportActionName) => `/admin/users/${encodeURIComponent(userId)}/support/${ACTION_PATHS[action]}`;

/** Methods a reset link can go to: a registered email address or mobile number. */
export const linkTargets = (methods: readonly MaskedMethod[]) => methods.filter((m) => m.canReceive && (m.type === 'email' || m.type === 'mobile'));

/** The methods an action chooses from: a link goes to an address or a mobile number; any method can be removed; the others need none. */
export const methodsFor = (action: SupportActionName, methods: readonly MaskedMethod[]) => (action === 'resetLink' ? linkTargets(methods) : action === 'removeMethod' ? methods : undefined);

/** The reason field: one per form, with its own id (several forms share the page). */
export function ReasonField({ c, action, value, error }: { c: AppContext; action: SupportActionName; value?: string; error?: MessageKey | undefined }) {
  const t = c.get('t');
  const id = `reason-${ACTION_PATHS[action]}`;
  return (
    <div>
      <label for={id}>{t('support.reason.label')}</label>
      {error ? (
        <p class="field-error" id={`${id}-error`}>
          {t(error)}
        </p>
      ) : null}
      <input id={id} name="reason" type="text" value={value ?? ''} required minlength={3} maxlength={REASON_MAX} autocomplete="off" aria-invalid={error ? 'true' : undefined} aria-describedby={error ? `${id}-error` : undefined} />
    </div>
  );
}

export function MethodSelect({ c, action, methods, value }: { c: AppContext; action: SupportActionName; methods: readonly MaskedMethod[]; value?: string | undefined }) {
  const t = c.get('t');
  const id = `method-${ACTION_PATHS[action]}`;
  return (
    <div>
      <label for={id}>{t('support.method.label')}</label>
      <select id={id} name="methodId" required>
        {methods.map((m) => (
          <option value={m.id} selected={m.id === value}>
            {m.masked}
          </option>
        ))}
      </select>
    </div>
  );
}

/** One action's form: what it does, the method (for two of them), the reason; its POST shows the confirmation. */
export function ActionForm({ c, userId, action, methods, verified = false }: { c: AppContext; userId: string; action: SupportActionName; methods?: readonly MaskedMethod[] | undefined; verified?: boolean }) {
  const t = c.get('t');
  const title = t(`support.action.${action}` as MessageKey);
  return (
    <form method="post" action={actionPath(userId, action)} class="card">
      <h3>{title}</h3>
      <p class="hint">{t(`support.action.${action}.hint` as MessageKey)}</p>
      {VERIFIED_ONLY.includes(action) && !verified ? <p class="hint">{t('support.action.needsVerification')}</p> : null}
      {methods ? methods.length > 0 ? <MethodSelect c={c} action={action} methods={methods} /> : <p class="muted">{t(action === 'resetLink' ? 'support.method.none' : 'support.method.noneToRemove')}</p> : null}
      <ReasonField c={c} action={action} />
      <button type="submit" class="secondary" disabled={methods?.length === 0 ? true : undefined}>
        {title}
      </button>
      <Csrf c={c} />
    </form>
  );
}

/**
 * The support page's actions (unblock, clear the sign-in lockout, unlock in AD, remove a method,
 * require re-registration, end all sessions, send a reset link): one small form each, with the
 * reason the actor types; each POST shows a confirmation first (src/support/action-pages.tsx).
 * Methods are shown masked and chosen by id: the address or number is never typed or shown.
 */
export function SupportActions({ c, view }: { c: AppContext; view: SupportView }) {
  const t = c.get('t');
  const actions: SupportActionName[] = ['resetLink', 'unblock', 'clearLockout', ...(view.user.source === 'onprem' ? (['unlockAd'] as const) : []), 'removeMethod', 'requireRegistration', 'endSessions'];
  return (
    <section aria-labelledby="support-actions-title">
      <h2 id="support-actions-title">{t('support.actions.title')}</h2>
      <p class="muted">{t('support.actions.intro')}</p>
      {view.reregistrationRequiredAt !== null ? <Notice kind="warn">{t('support.reregistration.pending')}</Notice> : null}
      <div class="support-actions">
        {actions.map((action) => (
          <ActionForm c={c} userId={view.user.id} action={action} methods={methodsFor(action, view.methods)} verified={view.verifiedUntil !== null} />
        ))}
      </div>
    </section>
  );
}
