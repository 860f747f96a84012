import type { AppContext } from '../http/context.js';
import { formatDateTime } from '../http/ui/dates.js';
import { Submit } from '../http/ui/forms.js';
import { Csrf, Notice } from '../http/ui/layout.js';
import type { SelfServiceBlock } from '../directory/self-service-blocks.js';

/** The console's user page: the block a "this wasn't me" report set, and the button that lifts it (a confirming POST). */
export function SelfServiceBlockCard({ c, userId, username, block, eventText, administrator = true }: { c: AppContext; userId: string; username: string; block: SelfServiceBlock; eventText: (event: string) => string; administrator?: boolean }) {
  const t = c.get('t');
  return (
    <section aria-labelledby="self-service-block">
      <Notice kind="error">
        <strong id="self-service-block">{t('notMe.admin.title')}</strong>
        <br />
        {t('notMe.admin.intro')}
      </Notice>
      <div class="card">
        <dl class="props">
          <dt>{t('notMe.admin.reported')}</dt>
          <dd>{eventText(block.reportedEvent)}</dd>
          <dt>{t('notMe.admin.reportedAt')}</dt>
          <dd>{formatDateTime(block.reportedEventAt, 'minute')}</dd>
          <dt>{t('notMe.admin.blockedAt')}</dt>
          <dd>{formatDateTime(block.blockedAt, 'minute')}</dd>
        </dl>
        {administrator ? (
          <>
            <p>
              <a href={`/admin/audit?${new URLSearchParams({ user: username, attention: '1' }).toString()}`}>{t('notMe.admin.auditLink')}</a>
            </p>
            <form method="post" action={`/admin/users/${userId}/self-service/unblock`}>
              <Csrf c={c} />
              <p class="hint">{t('notMe.admin.liftHint')}</p>
              <Submit>{t('notMe.admin.lift')}</Submit>
            </form>
          </>
        ) : (
          // The helpdesk has no audit pages; it lifts the block with the support action, which asks for a reason.
          <p class="hint">{t('notMe.admin.liftByHelpdesk')}</p>
        )}
      </div>
    </section>
  );
}
