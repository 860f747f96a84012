import { Hono } from 'hono';
import type { AppContext, AppEnv } from '../http/context.js';
import { actorOf } from '../http/actor.js';
import { NotFoundPage } from '../http/errors.js';
import { readForm, str } from '../http/form.js';
import { AdminPage, statusFor } from '../http/ui/console-page.js';
import { Csrf, Notice } from '../http/ui/layout.js';
import type { MessageKey } from '../i18n/index.js';
import type { User } from '../directory/users.js';
import { viewerOf, type SupportAccess } from './access.js';
import { ACTION_PATHS, ActionForm, ReasonField, actionPath, methodsFor } from './actions-ui.js';
import { SUPPORT_ACTIONS, checkReason, type SupportActionName, type SupportActions } from './support-actions.js';

export interface SupportActionPageDeps {
  access: Pick<SupportAccess, 'find'>;
  actions: Pick<SupportActions, 'run' | 'precheck' | 'describeById' | 'choices'>;
}

interface ConfirmView {
  user: User;
  action: SupportActionName;
  reason: string;
  methodId?: string | undefined;
  method?: string | null;
  /** The reason did not pass: the field says why, and nothing was done. */
  reasonError?: MessageKey | undefined;
  problem?: string | undefined;
  /** Refused before the confirmation (not allowed, or the caller not verified yet): nothing to confirm. */
  refusedEarly?: boolean;
}

const byPath = new Map(SUPPORT_ACTIONS.map((a) => [ACTION_PATHS[a], a]));
const needsMethod = (a: SupportActionName) => a === 'removeMethod' || a === 'resetLink';

/** "Unblock self-service for alice? Reason: …  [Unblock] [Cancel]": the second step of every action. */
function ConfirmPage({ c, v }: { c: AppContext; v: ConfirmView }) {
  const t = c.get('t');
  const label = t(`support.action.${v.action}` as MessageKey);
  const back = `/admin/users/${encodeURIComponent(v.user.id)}`;
  const ready = !v.reasonError && (!needsMethod(v.action) || !!v.method);
  return (
    <AdminPage c={c} title={t('support.confirm.title', { action: label })} section="/admin/users">
      <h1>{t('support.confirm.title', { action: label })}</h1>
      {v.problem ? <Notice kind="error">{v.problem}</Notice> : null}
      <form method="post" action={actionPath(v.user.id, v.action)} class="card">
        <p>
          <strong>{t('support.confirm.question', { action: label, name: v.user.displayName, username: v.user.username })}</strong>
        </p>
        <p class="hint">{t(`support.action.${v.action}.hint` as MessageKey)}</p>
        {needsMethod(v.action) ? v.method ? <p>{t('support.confirm.method', { method: v.method })}</p> : <Notice kind="error">{t('support.refuse.methodNotFound')}</Notice> : null}
        {v.methodId ? <input type="hidden" name="methodId" value={v.methodId} /> : null}
        {ready ? (
          <>
            <p>{t('support.confirm.reason', { reason: v.reason })}</p>
            <input type="hidden" name="reason" value={v.reason} />
            <input type="hidden" name="confirm" value="1" />
          </>
        ) : (
          <ReasonField c={c} action={v.action} value={v.reason} error={v.reasonError} />
        )}
        <div class="row">
          {(needsMethod(v.action) && !v.method) || v.refusedEarly ? null : <button type="submit">{ready ? label : t('support.confirm.go')}</button>}
          <a class="button secondary" href={back}>
            {t('support.confirm.cancel')}
          </a>
        </div>
        <Csrf c={c} />
      </form>
    </AdminPage>
  );
}


/**
 * /admin/users/{key}/support/{action}: the support actions' two steps. The first POST (the
 * panel's form) shows what will be done, to whom, with which reason; the second (`confirm=1`)
 * does it and goes back to the user's page with the outcome. A user the viewer may not see is
 * not found (404), never forbidden.
 */
export function supportActionPages(deps: SupportActionPageDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  // One action on its own page (linkable from the support page, and where a script-less browser lands).
  app.get('/admin/users/:key/support/:action', async (c) => {
    const action = byPath.get(c.req.param('action'));
    const user = action ? await deps.access.find(viewerOf(c), c.req.param('key')) : null;
    if (!action || !user) return c.html(<NotFoundPage c={c} />, 404);
    const t = c.get('t');
    const label = t(`support.action.${action}` as MessageKey);
    return c.html(
      <AdminPage c={c} title={label} section="/admin/users">
        <h1>{label}</h1>
        <p>
          <a href={`/admin/users/${encodeURIComponent(user.id)}`}>
            {user.displayName} ({user.username})
          </a>
        </p>
        <ActionForm c={c} userId={user.id} action={action} methods={methodsFor(action, await deps.actions.choices(user))} />
      </AdminPage>,
    );
  });
  app.post('/admin/users/:key/support/:action', async (c) => {
    const action = byPath.get(c.req.param('action'));
    const user = action ? await deps.access.find(viewerOf(c), c.req.param('key')) : null;
    if (!action || !user) return c.html(<NotFoundPage c={c} />, 404);
    const form = await readForm(c);
    const reason = (str(form, 'reason') ?? '').slice(0, 400);
    const methodId = needsMethod(action) ? (str(form, 'methodId') ?? '').slice(0, 64) : undefined;
    const method = methodId ? await deps.actions.describeById(user, methodId) : null;
    const checked = checkReason(reason);
    const v: ConfirmView = { user, action, reason: reason.trim(), methodId, method, reasonError: checked.ok ? undefined : checked.error };
    // Nothing changes before the confirmation, nor without a good reason.
    if (!checked.ok) return c.html(<ConfirmPage c={c} v={v} />, 400);
    // Refused whatever is confirmed (the caller not verified yet, say): said before the confirmation, not after it.
    const early = await deps.actions.precheck(action, actorOf(c), viewerOf(c), user, { reason, methodId });
    if (early) return c.html(<ConfirmPage c={c} v={{ ...v, refusedEarly: true, problem: c.get('t')(early.message as MessageKey) }} />, statusFor[early.reason]);
    if (str(form, 'confirm') !== '1') return c.html(<ConfirmPage c={c} v={v} />, 200);
    const r = await deps.actions.run(action, actorOf(c), viewerOf(c), user, { reason, methodId });
    if (r.ok) return c.redirect(`/admin/users/${encodeURIComponent(user.id)}?done=support.done.${action}`, 303);
    if (r.reason === 'invalid') return c.html(<ConfirmPage c={c} v={{ ...v, reasonError: (r.errors['reason'] as MessageKey | undefined) ?? 'support.reason.required' }} />, 400);
    return c.html(<ConfirmPage c={c} v={{ ...v, problem: c.get('t')(r.message as MessageKey) }} />, statusFor[r.reason]);
  });
  return app;
}
