import type { AppContext } from '../http/context.js';
import { formatDateTime } from '../http/ui/dates.js';
import { Submit } from '../http/ui/forms.js';
import { Csrf, Notice, Page } from '../http/ui/layout.js';
import { NOT_ME_PATH } from '../delivery/notices.js';
import type { NotMeView } from './not-me-service.js';

/** Who to turn to: the policy's helpdesk (a link for an address or URL), else plain words. */
function HelpdeskContact({ c, helpdesk, lead, generic }: { c: AppContext; helpdesk: string | null; lead: 'notMe.next.helpdesk' | 'notMe.invalidNext'; generic: 'notMe.next.helpdeskGeneric' | 'notMe.invalidNextGeneric' }) {
  const t = c.get('t');
  if (!helpdesk) return <p>{t(generic)}</p>;
  const href = helpdesk.includes('@') && !helpdesk.startsWith('http') ? `mailto:${helpdesk}` : /^https?:\/\//.test(helpdesk) ? helpdesk : null;
  return (
    <p>
      {t(lead)} {href ? <a href={href}>{helpdesk}</a> : <strong>{helpdesk}</strong>}
    </p>
  );
}

/**
 * The page behind the notice's link. The GET shows what a report does and one button; only the
 * button's POST acts, so a mail scanner that opens the link changes nothing.
 */
export function NotMePage({ c, view, eventText }: { c: AppContext; view: NotMeView; eventText: (event: string) => string }) {
  const t = c.get('t');
  if (view.kind === 'invalid') {
    return (
      <Page c={c} title={t('notMe.invalidTitle')} narrow>
        <h1>{t('notMe.invalidTitle')}</h1>
        <Notice kind="warn">{t('notMe.invalid')}</Notice>
        <HelpdeskContact c={c} helpdesk={view.helpdesk} lead="notMe.invalidNext" generic="notMe.invalidNextGeneric" />
      </Page>
    );
  }
  if (view.kind === 'done') {
    return (
      <Page c={c} title={t('notMe.doneTitle')} narrow>
        <h1>{t('notMe.doneTitle')}</h1>
        <Notice kind="ok">{t('notMe.done')}</Notice>
        <h2>{t('notMe.nextTitle')}</h2>
        <HelpdeskContact c={c} helpdesk={view.helpdesk} lead="notMe.next.helpdesk" generic="notMe.next.helpdeskGeneric" />
        <p>{t('notMe.next.otherSites')}</p>
      </Page>
    );
  }
  return (
    <Page c={c} title={t('notMe.title')} narrow>
      <h1>{t('notMe.title')}</h1>
      <p>{t('notMe.intro')}</p>
      <div class="card">
        <p class="muted">{t('notMe.when', { when: formatDateTime(view.eventAt, 'minute') })}</p>
        <p>
          <strong>{eventText(view.event)}</strong>
        </p>
      </div>
      <p>{t('notMe.whatHappens')}</p>
      <ul>
        <li>{t('notMe.step.block')}</li>
        <li>{t('notMe.step.sessions')}</li>
        <li>{t('notMe.step.admins')}</li>
        <li>{t('notMe.step.helpdesk')}</li>
      </ul>
      <form method="post" action={NOT_ME_PATH}>
        <Csrf c={c} />
        <input type="hidden" name="token" value={view.token} />
        <Submit kind="danger">{t('notMe.submit')}</Submit>
      </form>
      <p class="muted">{t('notMe.itWasMe')}</p>
    </Page>
  );
}
