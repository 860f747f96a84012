import type { AppContext } from './context.js';
import { Page } from './ui/layout.js';

export function ErrorPage(props: { c: AppContext; title: string; body: string }) {
  const t = props.c.get('t');
  return (
    <Page c={props.c} title={props.title} narrow>
      <h1>{props.title}</h1>
      <p>{props.body}</p>
      <p>
        <a href="/">{t('error.goHome')}</a>
      </p>
    </Page>
  );
}

export const NotFoundPage = ({ c }: { c: AppContext }) => <ErrorPage c={c} title={c.get('t')('error.notFound.title')} body={c.get('t')('error.notFound.body')} />;
export const ForbiddenPage = ({ c }: { c: AppContext }) => <ErrorPage c={c} title={c.get('t')('error.forbidden.title')} body={c.get('t')('error.forbidden.body')} />;
export const CsrfPage = ({ c }: { c: AppContext }) => <ErrorPage c={c} title={c.get('t')('error.csrf.title')} body={c.get('t')('error.csrf.body')} />;
