import type { Translate } from '../../i18n/index.js';

/** "Previous page · Page 2 of 5 · Next page" for any paged list; `link` builds the address of a page. */
export function Pager(props: { t: Translate; page: number; pageSize: number; total: number; link: (page: number) => string }) {
  const { t, page } = props;
  const pages = Math.max(1, Math.ceil(props.total / props.pageSize));
  return (
    <nav class="pager" aria-label={t('pager.page', { page, pages })}>
      {page > 1 ? <a href={props.link(page - 1)}>{t('pager.prev')}</a> : null}
      <span>{t('pager.page', { page, pages })}</span>
      {page < pages ? <a href={props.link(page + 1)}>{t('pager.next')}</a> : null}
    </nav>
  );
}
