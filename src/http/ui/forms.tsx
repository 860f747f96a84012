import type { Child } from 'hono/jsx';
import type { Translate, MessageKey } from '../../i18n/index.js';
import { isMessageKey } from '../../i18n/index.js';
import type { FieldErrors } from '../../shared/validation.js';

/** Translates a validation message key; params fill numbers like the minimum length. */
export function errorText(t: Translate, key: string, vars?: Record<string, string | number>): string {
  return isMessageKey(key) ? t(key, vars) : t('v.field.invalid');
}

/**
 * The summary at the top of a form that failed: announced to screen readers (role=alert),
 * focused on load (autofocus works without JavaScript), each problem links to its field.
 */
export function ErrorSummary(props: { t: Translate; errors: FieldErrors; labels: Record<string, MessageKey>; vars?: Record<string, string | number>; /** The element a field's link goes to, when it is not `f-<field>`. */ ids?: Record<string, string> }) {
  const entries = Object.entries(props.errors);
  if (entries.length === 0) return null;
  return (
    <div class="error-summary" role="alert" tabindex={-1} autofocus>
      <strong>{props.t('error.formHasProblems')}</strong>
      <ul>
        {entries.map(([field, key]) => (
          <li>
            <a href={`#${props.ids?.[field] ?? `f-${field}`}`}>
              {props.labels[field] ? `${props.t(props.labels[field])}: ` : ''}
              {errorText(props.t, key, props.vars)}
            </a>
          </li>
        ))}
      </ul>
    </div>
  );
}

export interface FieldProps {
  t: Translate;
  name: string;
  label: MessageKey;
  type?: 'text' | 'password' | 'email' | 'search';
  value?: string | null;
  hint?: string;
  error?: string | undefined;
  errorVars?: Record<string, string | number>;
  autocomplete?: string;
  required?: boolean;
  maxlength?: number;
  autofocus?: boolean;
  /** Every reason a password was refused, shown under the first one. */
  reasons?: ReadonlyArray<{ key: MessageKey; values?: Record<string, string | number> }> | undefined;
}

/** A labelled input with its hint and error tied by aria-describedby. */
export function Field(p: FieldProps) {
  const id = `f-${p.name}`;
  const describedBy = [p.hint ? `${id}-hint` : null, p.error ? `${id}-error` : null].filter(Boolean).join(' ') || undefined;
  return (
    <div>
      <label for={id}>{p.t(p.label)}</label>
      {p.hint ? (
        <p class="hint" id={`${id}-hint`}>
          {p.hint}
        </p>
      ) : null}
      {p.error && p.reasons && p.reasons.length > 1 ? (
        <ul class="field-error" id={`${id}-error`}>
          {p.reasons.map((r) => (
            <li>{p.t(r.key, { ...p.errorVars, ...r.values })}</li>
          ))}
        </ul>
      ) : p.error ? (
        <p class="field-error" id={`${id}-error`}>
          {p.reasons?.[0] ? p.t(p.reasons[0].key, { ...p.errorVars, ...p.reasons[0].values }) : errorText(p.t, p.error, p.errorVars)}
        </p>
      ) : null}
      <input
        id={id}
        name={p.name}
        type={p.type ?? 'text'}
        value={p.type === 'password' ? undefined : (p.value ?? undefined)}
        autocomplete={p.autocomplete}
        required={p.required}
        maxlength={p.maxlength}
        aria-invalid={p.error ? 'true' : undefined}
        aria-describedby={describedBy}
        autofocus={p.autofocus}
        spellcheck={p.type === 'password' ? false : undefined}
      />
    </div>
  );
}

export function Submit(props: { children: Child; kind?: 'secondary' | 'danger' }) {
  return (
    <button type="submit" class={props.kind}>
      {props.children}
    </button>
  );
}
