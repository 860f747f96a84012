import type { AppContext } from '../../../http/context.js';
import { Notice, Page } from '../../../http/ui/layout.js';
import type { ResetView } from '../reset-view.js';

/** A flow that a password change (or an unlock) elsewhere ended: why, that nothing happened here, and how to start again. */
export function VoidedPage({ c, view }: { c: AppContext; view: Extract<ResetView, { kind: 'voided' }> }) {
  const t = c.get('t');
  return (
    <Page c={c} title={t('reset.voidedTitle')} narrow>
      <h1>{t('reset.voidedTitle')}</h1>
      <Notice kind="warn">{view.by === 'unlocked' ? t('reset.voidedByUnlock') : view.by === 'helpdesk' ? t('reset.voidedByHelpdesk') : t('reset.voided')}</Notice>
      <p>{t('reset.voidedNext')}</p>
      <p>
        <a class="button" href="/reset">
          {t('reset.startOver')}
        </a>
      </p>
      <p>
        <a href="/sign-in">{t('reset.backToSignIn')}</a>
      </p>
    </Page>
  );
}
