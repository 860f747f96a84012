import { Hono } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { AppContext, AppEnv } from '../http/context.js';
import { readForm, str } from '../http/form.js';
import { ErrorSummary, Field, Submit, errorText } from '../http/ui/forms.js';
import { Csrf, Notice } from '../http/ui/layout.js';
import { AdminPage, statusFor } from '../http/ui/console-page.js';
import { actorOf } from '../http/actor.js';
import type { MessageKey, Translate } from '../i18n/index.js';
import type { FieldErrors } from '../shared/validation.js';
import { formatDateTime } from '../http/ui/dates.js';
import { apiAreas, apiScopes, apiTokenRefusals, tokenStatus, type ApiArea, type ApiToken, type ApiTokenService, type CreatedToken } from './tokens.js';

export interface ApiTokenPageDeps {
  apiTokens: Pick<ApiTokenService, 'list' | 'create' | 'revoke'>;
  now(): number;
}

const labels: Record<string, MessageKey> = { name: 'apiTokens.field.name', scope: 'apiTokens.field.scope', areas: 'apiTokens.field.areas', expiresInDays: 'apiTokens.field.expiresInDays' };

const when = (ms: number) => formatDateTime(ms, 'minute');

/** "Read and write" for a token on every area; else each area with its level: "Settings: Read and write, Audit log: Read only". */
function access(t: Translate, token: ApiToken): string {
  const held = token.areas;
  if (held === null) return t(`apiTokens.scope.${token.scope}`);
  return apiAreas
    .filter((a) => held[a])
    .map((a) => t('apiTokens.scope.area', { area: t(`apiTokens.area.${a}`), level: t(`apiTokens.scope.${held[a]!}`) }))
    .join(', ');
}

/** The access radio: every area read, every area write, or only the areas given a level below. */
const accessChoices = [...apiScopes, 'areas'] as const;
const areaField = (a: ApiArea) => `area-${a}`;

function TokenRow({ c, token, now }: { c: AppContext; token: ApiToken; now: number }) {
  const t = c.get('t');
  const status = tokenStatus(token, now);
  return (
    <tr>
      <td>{token.name}</td>
      <td class="wrap">{access(t, token)}</td>
      <td>{when(token.createdAt)}</td>
      <td>{token.lastUsedAt ? when(token.lastUsedAt) : t('apiTokens.never')}</td>
      <td>{token.expiresAt ? when(token.expiresAt) : t('apiTokens.noExpiry')}</td>
      <td>
        <span class={`badge ${status === 'active' ? 'on' : 'off'}`}>{status === 'revoked' ? t('apiTokens.status.revoked', { when: when(token.revokedAt!) }) : t(`apiTokens.status.${status}`)}</span>
      </td>
      <td>
        {status === 'revoked' ? null : (
          <form method="post" action={`/admin/api-tokens/${token.id}/revoke`} class="inline">
            <Csrf c={c} />
            <button type="submit" class="danger" aria-label={t('apiTokens.revokeNamed', { name: token.name })}>
              {t('apiTokens.revoke')}
            </button>
          </form>
        )}
      </td>
    </tr>
  );
}

/** The page: the new token (once, right after creating it), the list, and the create form. */
interface TokensView {
  c: AppContext;
  tokens: ApiToken[];
  now: number;
  created?: CreatedToken;
  values?: { name?: string; scope?: string; expiresInDays?: string; areas?: Partial<Record<ApiArea, string>> };
  errors?: FieldErrors;
  problem?: string;
}

function TokensPage(props: TokensView) {
  const { c } = props;
  const t = c.get('t');
  const { tokens } = props;
  const e = props.errors ?? {};
  const v = (k: 'name' | 'scope' | 'expiresInDays') => props.values?.[k] ?? '';
  const scope = v('scope') || 'read';
  const areas = props.values?.areas ?? {};
  return (
    <AdminPage c={c} title={t('apiTokens.title')} section="/admin/api-tokens">
      <h1>{t('apiTokens.title')}</h1>
      <p class="muted">{t('apiTokens.intro')}</p>
      {props.created ? (
        <div class="notice warn" role="alert">
          <h2>{t('apiTokens.created.title')}</h2>
          <p>{t('apiTokens.created.warning')}</p>
          <label for="new-token">{t('apiTokens.created.label', { name: props.created.record.name })}</label>
          {/* Read-only and pre-selected on focus: easy to copy, impossible to edit by accident. */}
          <input id="new-token" type="text" readonly value={props.created.token} spellcheck={false} autocomplete="off" autofocus />
        </div>
      ) : null}
      {props.problem ? <Notice kind="error">{props.problem}</Notice> : null}

      {tokens.length === 0 ? (
        <p>{t('apiTokens.none')}</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">{t('apiTokens.col.name')}</th>
              <th scope="col">{t('apiTokens.col.scope')}</th>
              <th scope="col">{t('apiTokens.col.created')}</th>
              <th scope="col">{t('apiTokens.col.lastUsed')}</th>
              <th scope="col">{t('apiTokens.col.expires')}</th>
              <th scope="col">{t('apiTokens.col.status')}</th>
              <th scope="col">{t('apiTokens.col.actions')}</th>
            </tr>
          </thead>
          <tbody>
            {tokens.map((token) => (
              <TokenRow c={c} token={token} now={props.now} />
            ))}
          </tbody>
        </table>
      )}

      <h2>{t('apiTokens.create.title')}</h2>
      <ErrorSummary t={t} errors={e} labels={labels} />
      <form method="post" action="/admin/api-tokens" class="card" novalidate>
        <Csrf c={c} />
        <Field t={t} name="name" label="apiTokens.field.name" hint={t('apiTokens.field.nameHint')} value={v('name')} required maxlength={100} error={e['name']} />
        <fieldset id="f-scope" aria-describedby={e['scope'] ? 'f-scope-error' : undefined}>
          <legend>{t('apiTokens.field.scope')}</legend>
          {e['scope'] ? (
            <p class="field-error" id="f-scope-error">
              {t('v.apiToken.scope')}
            </p>
          ) : null}
          {accessChoices.map((s) => (
            <label>
              <input type="radio" name="scope" value={s} checked={scope === s} />
              {t(s === 'areas' ? 'apiTokens.scope.areasOnly' : `apiTokens.scope.${s}`)}
            </label>
          ))}
        </fieldset>
        <fieldset id="f-areas" aria-describedby={e['areas'] ? 'f-areas-hint f-areas-error' : 'f-areas-hint'}>
          <legend>{t('apiTokens.field.areas')}</legend>
          <p class="hint" id="f-areas-hint">
            {t('apiTokens.field.areasHint')}
          </p>
          {e['areas'] ? (
            <p class="field-error" id="f-areas-error">
              {errorText(t, e['areas'])}
            </p>
          ) : null}
          <div class="area-levels">
            {apiAreas.map((a) => (
              <div>
                <label for={`f-${areaField(a)}`}>{t(`apiTokens.area.${a}`)}</label>
                <select id={`f-${areaField(a)}`} name={areaField(a)}>
                  <option value="" selected={!areas[a]}>
                    {t('apiTokens.level.none')}
                  </option>
                  {apiScopes.map((l) => (
                    <option value={l} selected={areas[a] === l}>
                      {t(`apiTokens.scope.${l}`)}
                    </option>
                  ))}
                </select>
              </div>
            ))}
          </div>
        </fieldset>
        <Field t={t} name="expiresInDays" label="apiTokens.field.expiresInDays" hint={t('apiTokens.field.expiresInDaysHint')} value={v('expiresInDays')} maxlength={4} error={e['expiresInDays']} />
        <Submit>{t('apiTokens.create.submit')}</Submit>
      </form>
    </AdminPage>
  );
}

/** "30" → 30, "" → null; anything else is passed on as text so the service names the field. */
function days(value: string | undefined): unknown {
  const s = (value ?? '').trim();
  if (s === '') return null;
  return /^\d{1,6}$/.test(s) ? Number(s) : s;
}

/** /admin/api-tokens: create (shown once), list and revoke API tokens. */
export function apiTokenPages(deps: ApiTokenPageDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const page = async (c: AppContext, props: Omit<TokensView, 'c' | 'tokens' | 'now'> = {}, status: ContentfulStatusCode = 200) => c.html(<TokensPage c={c} tokens={await deps.apiTokens.list()} now={deps.now()} {...props} />, status);

  app.get('/admin/api-tokens', async (c) => page(c));

  app.post('/admin/api-tokens', async (c) => {
    const form = await readForm(c);
    const scope = str(form, 'scope') ?? '';
    const areas: Partial<Record<ApiArea, string>> = Object.fromEntries(apiAreas.map((a) => [a, str(form, areaField(a)) ?? '']).filter(([, l]) => l !== ''));
    const values = { name: str(form, 'name') ?? '', scope, expiresInDays: str(form, 'expiresInDays') ?? '', areas };
    const chosen = Object.entries(areas).map(([a, l]) => `${a}:${l}`);
    // "Only the areas below" needs one; a level chosen below with "every area" above is a contradiction, not something to drop.
    if (scope === 'areas' && chosen.length === 0) return page(c, { values, errors: { areas: 'v.apiToken.areasNone' } }, 400);
    if (scope !== 'areas' && chosen.length > 0) return page(c, { values, errors: { areas: 'v.apiToken.areasWithAll' } }, 400);
    const r = await deps.apiTokens.create(actorOf(c), { name: str(form, 'name'), scope: scope === 'areas' ? 'read' : scope, areas: scope === 'areas' ? chosen : null, expiresInDays: days(str(form, 'expiresInDays')) });
    // No redirect: the token exists only in this answer (never in a URL, a log line or the store).
    if (r.ok) return page(c, { created: r.value });
    if (r.reason === 'invalid') return page(c, { values, errors: r.errors }, 400);
    const refusal = apiTokenRefusals[r.reason];
    return page(c, { values, problem: c.get('t')(refusal.message) }, statusFor[refusal.kind]);
  });

  app.post('/admin/api-tokens/:id/revoke', async (c) => {
    const r = await deps.apiTokens.revoke(actorOf(c), c.req.param('id'));
    if (r.ok) return c.redirect('/admin/api-tokens?done=apiTokens.done.revoked', 303);
    if (r.reason === 'already_revoked') return c.redirect(`/admin/api-tokens?refused=${apiTokenRefusals.already_revoked.message}`, 303);
    return page(c, { problem: c.get('t')(apiTokenRefusals[r.reason].message) }, statusFor[apiTokenRefusals[r.reason].kind]);
  });

  return app;
}
