import type { Form } from '../http/form.js';
import { errorText } from '../http/ui/forms.js';
import type { Translate } from '../i18n/index.js';
import type { FieldErrors } from '../shared/validation.js';
import { formName, type Setting } from './settings.js';

/**
 * One setting of a policy page as a form control. Radio buttons and checkboxes sit in a
 * fieldset whose legend names the setting; the fieldset carries the `f-…` id the error summary
 * links to (it exists even when a list has no options, such as groups before any exist).
 */
export function SettingInput(props: { t: Translate; setting: Setting; values: Form; errors: FieldErrors; groups?: ReadonlyArray<{ id: string; name: string }> }) {
  const { t, setting: s, values, errors } = props;
  const name = formName(s.path);
  const id = `f-${name}`;
  const error = errors[name];
  const raw = values[name];
  const one = typeof raw === 'string' ? raw : '';
  const many = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  const hintId = s.hint ? `${id}-hint` : null;
  const errorId = error ? `${id}-error` : null;
  const describedBy = [hintId, errorId].filter(Boolean).join(' ') || undefined;
  const hint = s.hint ? (
    <p class="hint" id={hintId!}>
      {t(s.hint)}
    </p>
  ) : null;
  const errorLine = error ? (
    <p class="field-error" id={errorId!}>
      {errorText(t, error)}
    </p>
  ) : null;

  if (s.kind === 'radio' || s.kind === 'yesno' || s.kind === 'checks') {
    const options =
      s.kind === 'yesno'
        ? [
            { value: 'yes', text: t('policy.yes') },
            { value: 'no', text: t('policy.no') },
          ]
        : s.path === 'groups'
          ? groupOptions(t, props.groups ?? [], many)
          : (s.options ?? []).map((o) => ({ value: o.value, text: t(o.label) }));
    const type = s.kind === 'checks' ? 'checkbox' : 'radio';
    return (
      <fieldset id={id} tabindex={-1} aria-describedby={describedBy}>
        <legend>{t(s.label)}</legend>
        {hint}
        {errorLine}
        {s.path === 'groups' && options.length === 0 ? <p>{t('policy.groups.none')}</p> : null}
        {options.map((o) => (
          <label>
            <input type={type} name={name} value={o.value} checked={type === 'checkbox' ? many.includes(o.value) : one === o.value} aria-invalid={error ? 'true' : undefined} />
            {o.text}
          </label>
        ))}
      </fieldset>
    );
  }

  const label = <label for={id}>{t(s.label)}</label>;
  if (s.kind === 'select') {
    return (
      <div>
        {label}
        {hint}
        {errorLine}
        <select id={id} name={name} aria-invalid={error ? 'true' : undefined} aria-describedby={describedBy}>
          {(s.options ?? []).map((o) => (
            <option value={o.value} selected={one === o.value}>
              {t(o.label)}
            </option>
          ))}
        </select>
      </div>
    );
  }
  if (s.kind === 'lines') {
    return (
      <div>
        {label}
        {hint}
        {errorLine}
        <textarea id={id} name={name} rows={6} cols={60} aria-invalid={error ? 'true' : undefined} aria-describedby={describedBy}>
          {one}
        </textarea>
      </div>
    );
  }
  return (
    <div>
      {label}
      {hint}
      {errorLine}
      <input
        id={id}
        name={name}
        type="text"
        value={one}
        inputmode={s.kind === 'number' ? 'numeric' : undefined}
        maxlength={s.maxlength}
        autocomplete="off"
        spellcheck={false}
        aria-invalid={error ? 'true' : undefined}
        aria-describedby={describedBy}
      />
    </div>
  );
}

/** Every group as a checkbox, and any chosen group that no longer exists, so it can be unticked. */
function groupOptions(t: Translate, groups: ReadonlyArray<{ id: string; name: string }>, chosen: readonly string[]): Array<{ value: string; text: string }> {
  const known = new Set(groups.map((g) => g.id));
  return [...groups.map((g) => ({ value: g.id, text: g.name })), ...chosen.filter((id) => !known.has(id)).map((id) => ({ value: id, text: t('policy.groups.unknown', { id }) }))];
}
