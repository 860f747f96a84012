import type { AppContext } from '../../../http/context.js';

/** Who to turn to, whenever the user cannot go on. */
export function Helpdesk({ c, helpdesk }: { c: AppContext; helpdesk: string | null }) {
  const t = c.get('t');
  if (!helpdesk) return <p>{t('reset.helpdesk.generic')}</p>;
  const href = helpdesk.includes('@') && !helpdesk.startsWith('http') ? `mailto:${helpdesk}` : helpdesk;
  return (
    <p>
      {t('reset.helpdesk.lead')} <a href={href}>{helpdesk}</a>
    </p>
  );
}
