/** The POST forms of a page, read from its HTML as a browser would see them (test/security/every-field.test.ts, form-errors.test.ts). */

export interface Field {
  name: string;
  kind: 'input' | 'select' | 'textarea';
  type: string;
  value: string;
  maxlength: number | null;
  /** Checkboxes, radios and multiple selects legitimately send a name more than once or choose among values. */
  multi: boolean;
  /** Sent by the browser as the page stands (an unchecked box or radio is not). */
  sent: boolean;
}
export interface Form {
  page: string;
  action: string;
  fields: Field[];
}

const attrs = (s: string): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const m of s.matchAll(/([a-zA-Z_:][\w:.-]*)(?:="([^"]*)")?/g)) out[m[1]!.toLowerCase()] = (m[2] ?? '').replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>');
  return out;
};

/** The POST forms of a page as the browser would see them (the pages are our own well-formed JSX output). */
export function formsOf(page: string, html: string): Form[] {
  const forms: Form[] = [];
  for (const f of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/g)) {
    const a = attrs(f[1]!);
    if ((a['method'] ?? 'get').toLowerCase() !== 'post') continue;
    const body = f[2]!;
    const fields: Field[] = [];
    for (const i of body.matchAll(/<input\b([^>]*)>/g)) {
      const x = attrs(i[1]!);
      if (!x['name']) continue;
      const type = (x['type'] ?? 'text').toLowerCase();
      if ((type === 'checkbox' || type === 'radio') && !('checked' in x)) {
        fields.push({ name: x['name'], kind: 'input', type, value: x['value'] ?? '', maxlength: null, multi: true, sent: false });
        continue;
      }
      fields.push({ name: x['name'], kind: 'input', type, value: x['value'] ?? '', maxlength: x['maxlength'] ? Number(x['maxlength']) : null, multi: type === 'checkbox' || type === 'radio', sent: true });
    }
    for (const s of body.matchAll(/<select\b([^>]*)>([\s\S]*?)<\/select>/g)) {
      const x = attrs(s[1]!);
      if (!x['name']) continue;
      const options = [...s[2]!.matchAll(/<option\b([^>]*)>/g)].map((o) => attrs(o[1]!));
      const chosen = options.find((o) => 'selected' in o) ?? options.find((o) => (o['value'] ?? '') !== '') ?? options[0];
      fields.push({ name: x['name'], kind: 'select', type: 'select', value: chosen?.['value'] ?? '', maxlength: null, multi: 'multiple' in x, sent: true });
    }
    for (const t of body.matchAll(/<textarea\b([^>]*)>([\s\S]*?)<\/textarea>/g)) {
      const x = attrs(t[1]!);
      if (x['name']) fields.push({ name: x['name'], kind: 'textarea', type: 'textarea', value: t[2]!, maxlength: x['maxlength'] ? Number(x['maxlength']) : null, multi: false, sent: true });
    }
    forms.push({ page, action: a['action'] ?? page, fields });
  }
  return forms;
}
