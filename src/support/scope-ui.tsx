import type { AppContext } from '../http/context.js';
import type { User } from '../directory/users.js';
import type { Group } from '../directory/groups.js';
import type { FieldErrors } from '../shared/validation.js';
import { Csrf } from '../http/ui/layout.js';
import { errorText, Submit } from '../http/ui/forms.js';
import type { HelpdeskScope } from './scope-store.js';

export interface ScopeFormValues {
  groupIds: readonly string[];
  ous: string;
}

/** What the form shows: the stored scope, or what was just submitted (with its errors). */
export function scopeFormValues(scope: HelpdeskScope): ScopeFormValues {
  return {
    groupIds: scope.entries.flatMap((e) => (e.kind === 'group' && e.name !== null ? [e.groupId] : [])),
    ous: scope.entries.flatMap((e) => (e.kind === 'ou' ? [e.dn] : [])).join('\n'),
  };
}

/**
 * An administrator's form for a helpdesk user's scope: groups as checkboxes (nested groups are
 * included), OUs one DN per line. Shown on the user's page for helpdesk users, to administrators
 * only; posts to /admin/users/:key/helpdesk-scope (src/support/scope-pages.tsx).
 */
export function HelpdeskScopeForm(props: { c: AppContext; user: User; scope: HelpdeskScope; groups: readonly Group[]; values?: ScopeFormValues; errors?: FieldErrors }) {
  const { c, user, scope, groups } = props;
  const t = c.get('t');
  const e = props.errors ?? {};
  const v = props.values ?? scopeFormValues(scope);
  const deleted = scope.entries.filter((x) => x.kind === 'group' && x.name === null).length;
  return (
    <section aria-labelledby="scope-title">
      <h2 id="scope-title">{t('scope.title')}</h2>
      <form method="post" action={`/admin/users/${encodeURIComponent(user.username)}/helpdesk-scope`} class="card" novalidate>
        <Csrf c={c} />
        <p class="hint">{t('scope.intro')}</p>
        <p>{scope.entries.length === 0 ? t('scope.current.all') : t('scope.current.some', { n: scope.entries.length })}</p>
        <fieldset id="f-groups" tabindex={-1} aria-describedby={e['groups'] ? 'f-groups-error' : undefined}>
          <legend>{t('scope.groups')}</legend>
          {e['groups'] ? (
            <p class="field-error" id="f-groups-error">
              {errorText(t, e['groups'])}
            </p>
          ) : null}
          {groups.length === 0 ? <p>{t('scope.noGroups')}</p> : null}
          {groups.map((g) => (
            <label>
              <input type="checkbox" name="groups" value={g.id} checked={v.groupIds.includes(g.id)} />
              {g.name}
            </label>
          ))}
          {deleted > 0 ? <p class="hint">{t('scope.deletedGroup')}</p> : null}
        </fieldset>
        <div>
          <label for="f-ous">{t('scope.ous')}</label>
          <p class="hint" id="f-ous-hint">
            {t('scope.ousHint')}
          </p>
          {e['ous'] ? (
            <p class="field-error" id="f-ous-error">
              {errorText(t, e['ous'])}
            </p>
          ) : null}
          <textarea id="f-ous" name="ous" rows={3} spellcheck={false} aria-invalid={e['ous'] ? 'true' : undefined} aria-describedby={e['ous'] ? 'f-ous-hint f-ous-error' : 'f-ous-hint'}>
            {v.ous}
          </textarea>
        </div>
        <Submit>{t('scope.save')}</Submit>
      </form>
    </section>
  );
}
