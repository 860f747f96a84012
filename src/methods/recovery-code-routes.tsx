import { Hono } from 'hono';
import type { AppContext, AppEnv } from '../http/context.js';
import { readForm, str } from '../http/form.js';
import { formatDateTime } from '../http/ui/dates.js';
import { Submit } from '../http/ui/forms.js';
import { Csrf, Notice, Page } from '../http/ui/layout.js';
import { SecurityInfoPage, type OverviewDeps } from './overview-page.js';
import type { RecoveryCodesShown, RevealBinding } from './recovery-codes.js';
import { BASE, type SecurityInfoRouteDeps } from './route-deps.js';

export const RECOVERY = `${BASE}/recovery-codes`;

export type RecoveryCodeRouteDeps = OverviewDeps & Pick<SecurityInfoRouteDeps, 'recoveryCodes' | 'productName'>;

const binding = (c: AppContext): RevealBinding => ({ browserId: c.get('browserId'), sessionHash: c.get('session')!.idHash });

/** The codes, once: copy (with JavaScript), download as text, and "I have saved my codes". */
function CodesPage({ c, shown }: { c: AppContext; shown: RecoveryCodesShown }) {
  const t = c.get('t');
  const title = shown.regenerated ? t('methods.recovery.newTitle') : t('methods.recovery.title');
  return (
    <Page c={c} title={title} narrow>
      <h1>{title}</h1>
      {shown.regenerated ? <Notice kind="ok">{t('methods.recovery.oldVoided')}</Notice> : null}
      <Notice kind="warn">{t('methods.recovery.onlyNow')}</Notice>
      <p>{t('methods.recovery.intro')}</p>
      <section class="card" aria-labelledby="codes-h">
        <h2 id="codes-h">{t('methods.recovery.listLabel')}</h2>
        <ol id="recovery-codes" class="recovery-codes">
          {shown.codes.map((code) => (
            <li>
              <code>{code}</code>
            </li>
          ))}
        </ol>
        <div class="row recovery-actions">
          <button type="button" class="secondary" hidden data-copy="recovery-codes" data-copy-status="copy-status" data-msg-done={t('methods.recovery.copied')} data-msg-failed={t('methods.recovery.copyFailed')}>
            {t('methods.recovery.copy')}
          </button>
          <form method="post" action={`${RECOVERY}/download`}>
            <Csrf c={c} />
            <input type="hidden" name="reveal" value={shown.revealId} />
            <Submit kind="secondary">{t('methods.recovery.download')}</Submit>
          </form>
        </div>
        <p id="copy-status" role="status"></p>
      </section>
      <form method="post" action={`${RECOVERY}/done`}>
        <Csrf c={c} />
        <input type="hidden" name="reveal" value={shown.revealId} />
        <p class="hint" id="saved-hint">
          {t('methods.recovery.savedHint')}
        </p>
        <button type="submit" aria-describedby="saved-hint">
          {t('methods.recovery.saved')}
        </button>
      </form>
      <script src="/assets/copy.js" defer></script>
    </Page>
  );
}

/** The codes are never shown again: said plainly, with the way out (a new set). */
function GonePage({ c }: { c: AppContext }) {
  const t = c.get('t');
  return (
    <Page c={c} title={t('methods.recovery.title')} narrow>
      <h1>{t('methods.recovery.title')}</h1>
      <Notice kind="warn">{t('methods.recovery.gone')}</Notice>
      <p>
        <a href={BASE}>{t('methods.back')}</a>
      </p>
    </Page>
  );
}

/** The page with the codes and their download must never be kept by a cache or shown from history. */
function noStore(c: AppContext): void {
  c.header('Cache-Control', 'no-store');
  c.header('Pragma', 'no-cache');
}

/**
 * Saved recovery codes in "My security info": set up (POST), make a new set (a confirming
 * page, then POST), download the set just made (POST, only in the session that made it, until
 * the user is done) and "I have saved my codes". Making a set needs a recent verification.
 */
export function recoveryCodeRoutes(deps: RecoveryCodeRouteDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  const generate = async (c: AppContext) => {
    const r = await deps.recoveryCodes.generate(c.get('user')!, binding(c));
    if (!r.ok) return c.html(await SecurityInfoPage({ c, deps, problem: r.reason }), 422);
    noStore(c);
    return c.html(<CodesPage c={c} shown={r.value} />);
  };

  app.post(`${BASE}/add/recovery-codes`, async (c) => {
    // With a set already registered, "set up" is "make new codes", which asks first.
    if (await deps.recoveryCodes.status(c.get('user')!.id)) return c.redirect(`${RECOVERY}/regenerate`, 303);
    return generate(c);
  });

  app.get(`${RECOVERY}/regenerate`, async (c) => {
    const t = c.get('t');
    const status = await deps.recoveryCodes.status(c.get('user')!.id);
    if (!status) return c.redirect(BASE, 303);
    return c.html(
      <Page c={c} title={t('methods.recovery.regenerateTitle')} narrow>
        <h1>{t('methods.recovery.regenerateTitle')}</h1>
        <p>{t('methods.recovery.regenerateIntro', { left: status.left })}</p>
        <form method="post" action={`${RECOVERY}/regenerate`}>
          <Csrf c={c} />
          <Submit>{t('methods.recovery.regenerate')}</Submit>
        </form>
        <p>
          <a href={BASE}>{t('methods.cancel')}</a>
        </p>
      </Page>,
    );
  });

  app.post(`${RECOVERY}/regenerate`, async (c) => {
    if (!(await deps.recoveryCodes.status(c.get('user')!.id))) return c.redirect(BASE, 303);
    return generate(c);
  });

  app.post(`${RECOVERY}/download`, async (c) => {
    const user = c.get('user')!;
    const form = await readForm(c);
    const codes = await deps.recoveryCodes.reveal(user, str(form, 'reveal') ?? '', binding(c));
    noStore(c);
    if (!codes) return c.html(<GonePage c={c} />, 410);
    const t = c.get('t');
    const text = [
      t('methods.recovery.fileTitle', { username: user.username, product: deps.productName }),
      t('methods.recovery.fileMade', { when: formatDateTime(deps.clock.now(), 'minute') }),
      '',
      ...codes.map((code, i) => `${String(i + 1).padStart(2, ' ')}. ${code}`),
      '',
    ].join('\r\n');
    c.header('Content-Disposition', 'attachment; filename="recovery-codes.txt"');
    return c.body(text, 200, { 'Content-Type': 'text/plain; charset=utf-8' });
  });

  app.post(`${RECOVERY}/done`, async (c) => {
    const form = await readForm(c);
    const r = await deps.recoveryCodes.finish(c.get('user')!, str(form, 'reveal') ?? '', binding(c));
    if (!r.ok) return c.html(<GonePage c={c} />, 410);
    return c.redirect(`${BASE}?done=${r.value.added ? 'methods.done.recoveryCodes' : 'methods.done.recoveryCodesNew'}`, 303);
  });

  return app;
}
