import type { AppContext } from '../../../http/context.js';
import { Notice, Page } from '../../../http/ui/layout.js';
import { verifyPath } from '../paths.js';
import type { ResetView } from '../reset-view.js';
import { Helpdesk } from './helpdesk.js';
import { BlockedNotice } from './block-notice.js';

/** Blocked (too many tries, or self-service turned off after "this wasn't me"), a protected account, being applied by another request, or done. */
export function FinishedPage({ c, view }: { c: AppContext; view: Extract<ResetView, { kind: 'completed' | 'failed' | 'applying' | 'protected' | 'selfServiceBlocked' }> }) {
  const t = c.get('t');
  if (view.kind === 'selfServiceBlocked') {
    return (
      <Page c={c} title={t('reset.selfServiceBlockedTitle')} narrow>
        <h1>{t('reset.selfServiceBlockedTitle')}</h1>
        <Notice kind="error">{t('reset.selfServiceBlocked')}</Notice>
        <Helpdesk c={c} helpdesk={view.helpdesk} />
        <p>
          <a href="/sign-in">{t('reset.backToSignIn')}</a>
        </p>
      </Page>
    );
  }
  if (view.kind === 'protected') {
    const title = t(view.flow.data.intent === 'unlock' ? 'unlock.protectedTitle' : 'reset.protectedTitle');
    return (
      <Page c={c} title={title} narrow>
        <h1>{title}</h1>
        <Notice kind="ok">{t('reset.verified', { username: view.flow.data.username })}</Notice>
        <Notice kind="warn">{t('reset.protected')}</Notice>
        <Helpdesk c={c} helpdesk={view.helpdesk} />
        <p>
          <a href="/sign-in">{t('reset.backToSignIn')}</a>
        </p>
      </Page>
    );
  }
  if (view.kind === 'failed') {
    return (
      <Page c={c} title={t('reset.blockedTitle')} narrow>
        <h1>{t('reset.blockedTitle')}</h1>
        <BlockedNotice c={c} blocked={view.blocked} helpdesk={view.helpdesk} intent={view.flow.data.intent} />
        <p>
          <a href="/sign-in">{t('reset.backToSignIn')}</a>
        </p>
      </Page>
    );
  }
  if (view.kind === 'applying') {
    return (
      <Page c={c} title={t('reset.title')} narrow>
        <h1>{t('reset.title')}</h1>
        <Notice kind="warn">{t('reset.inProgress')}</Notice>
        <p>
          <a href={verifyPath(view.flow.id)}>{t('reset.refresh')}</a>
        </p>
      </Page>
    );
  }
  const unlocked = view.flow.data.action === 'unlock';
  const title = unlocked ? t('unlock.doneTitle') : t('reset.doneTitle');
  return (
    <Page c={c} title={title} narrow>
      <h1>{title}</h1>
      <Notice kind="ok">{unlocked ? t('unlock.done') : t('reset.done')}</Notice>
      <p>{t(unlocked ? 'unlock.doneNext' : 'reset.doneNext')}</p>
      <p>
        <a class="button" href="/sign-in">
          {t('reset.signIn')}
        </a>
      </p>
    </Page>
  );
}
