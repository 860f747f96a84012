import type { Hono } from 'hono';
import type { Child } from 'hono/jsx';
import { actorOf } from '../http/actor.js';
import type { AppContext, AppEnv } from '../http/context.js';
import { str } from '../http/form.js';
import { Submit } from '../http/ui/forms.js';
import { Csrf } from '../http/ui/layout.js';
import type { Translate } from '../i18n/index.js';
import type { FieldErrors } from '../shared/validation.js';
import type { PolicyService } from './policy-service.js';
import { formFromPolicy, formName } from './settings.js';
import { wordsOfFile } from './password-rules.js';

/**
 * The password rules page's own parts: the settings in two groups (the rules, then breached
 * passwords) and the banned words as a text file — downloaded as it is stored, uploaded to
 * replace the list (through the same validated, versioned update as the form).
 */

/** Uploads larger than this are refused before they are read as text (1,000 words of 64 four-byte characters fit). */
export const BANNED_FILE_MAX_BYTES = 300 * 1024;

export const BANNED_FILE_PATH = '/admin/policy/passwords/banned';

/** The form's settings, with the breached-password ones under their own heading. */
export function PasswordRulesFields(props: { t: Translate; input: (path: string) => Child }) {
  const { t, input } = props;
  return (
    <>
      {input('passwords.minLength')}
      {input('passwords.maxLength')}
      {input('passwords.minScore')}
      {input('passwords.checkCommon')}
      {input('passwords.refuseNames')}
      {input('passwords.historyCount')}
      {input('passwords.bannedCustom')}
      <h3>{t('policy.passwords.breached.heading')}</h3>
      {input('passwords.breached.mode')}
      {input('passwords.breached.minCount')}
      {input('passwords.breached.failureMode')}
      {input('passwords.breached.timeoutMs')}
      {input('passwords.breached.hibpUrl')}
      {input('passwords.breached.localFolder')}
      {input('passwords.breached.localUrl')}
    </>
  );
}

/** Download and upload of the banned words, below the form. */
export function BannedListFile(props: { c: AppContext; expectedVersion: number }) {
  const t = props.c.get('t');
  return (
    <section class="card" aria-labelledby="banned-file">
      <h3 id="banned-file">{t('policy.passwords.banned.heading')}</h3>
      <p>
        <a href={`${BANNED_FILE_PATH}.txt`} download="banned-words.txt">
          {t('policy.passwords.banned.download')}
        </a>
      </p>
      <form method="post" action={BANNED_FILE_PATH} enctype="multipart/form-data">
        <Csrf c={props.c} />
        <input type="hidden" name="expectedVersion" value={String(props.expectedVersion)} />
        <label for="f-banned-file">{t('policy.passwords.banned.upload')}</label>
        <p class="hint" id="f-banned-file-hint">
          {t('policy.passwords.banned.uploadHint')}
        </p>
        <input id="f-banned-file" type="file" name="file" accept=".txt,text/plain" aria-describedby="f-banned-file-hint" />
        <Submit kind="secondary">{t('policy.passwords.banned.uploadButton')}</Submit>
      </form>
    </section>
  );
}

interface Render {
  (c: AppContext, view: { values: ReturnType<typeof formFromPolicy>; expectedVersion: number; errors?: FieldErrors; problems?: string[] }, status: 400 | 409): Promise<Response>;
}

/** GET …/banned.txt and POST …/banned on the policy console's app. */
export function bannedListRoutes(app: Hono<AppEnv>, deps: { policy: Pick<PolicyService, 'refresh' | 'update'>; render: Render }): void {
  const { policy } = deps;

  app.get(`${BANNED_FILE_PATH}.txt`, async (c) => {
    const current = await policy.refresh();
    const words = current.policy.passwords.bannedCustom;
    return c.body(words.length ? `${words.join('\n')}\n` : '', 200, {
      'content-type': 'text/plain; charset=utf-8',
      'content-disposition': 'attachment; filename="banned-words.txt"',
      'cache-control': 'no-store',
    });
  });

  app.post(BANNED_FILE_PATH, async (c) => {
    const t = c.get('t');
    const body = await c.req.parseBody();
    const before = await policy.refresh();
    const raw = str(Object.fromEntries(Object.entries(body).filter(([, v]) => typeof v === 'string')) as Record<string, string>, 'expectedVersion');
    const expectedVersion = raw !== undefined && /^\d{1,9}$/.test(raw) ? Number(raw) : before.version;
    const file = body['file'];
    const refuse = (problem: string) => deps.render(c, { values: formFromPolicy('passwords', before.policy), expectedVersion, problems: [problem] }, 400);
    if (!(file instanceof File) || file.size === 0) return refuse(t('policy.passwords.banned.noFile'));
    if (file.size > BANNED_FILE_MAX_BYTES) return refuse(t('policy.passwords.banned.tooLarge'));
    const words = wordsOfFile(new Uint8Array(await file.arrayBuffer()));
    if (!words) return refuse(t('policy.passwords.banned.notText'));
    const result = await policy.update(actorOf(c), { passwords: { bannedCustom: words } }, { expectedVersion, comment: t('policy.passwords.banned.comment', { name: file.name.slice(0, 100) }) });
    if (result.ok) return c.redirect(`/admin/policy/passwords?done=${result.value.version === before.version ? 'policy.done.unchanged' : 'policy.done.saved'}`, 303);
    const values = { ...formFromPolicy('passwords', before.policy), [formName('passwords.bannedCustom')]: words.join('\n') };
    if (result.reason === 'invalid') return deps.render(c, { values, expectedVersion, errors: result.errors }, 400);
    return deps.render(c, { values: formFromPolicy('passwords', (await policy.refresh()).policy), expectedVersion: (await policy.refresh()).version, problems: [t('policy.conflict')] }, 409);
  });
}
