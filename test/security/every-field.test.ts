import { afterEach, describe, expect, it } from 'vitest';
import type { TestPortal } from '../helpers/test-portal.js';
import { dumpStore as dump } from '../helpers/store-dump.js';
import { productForms } from '../helpers/forms.js';

const PW = 'Sturdy-Orchard-Gate-47';

describe('every form field', () => {
  let t: TestPortal | undefined;
  afterEach(async () => {
    await t?.portal.resets.settled();
    await t?.cleanup();
    t = undefined;
  });

  it('every single-valued field of every form the pages show is refused when sent twice or oversized, with 400 (or 413 past the body limit) and a plain message, and nothing in the store changes', async () => {
    const found = await productForms(PW);
    t = found.tp;
    const tp = t;
    const { forms, pageOf } = found;
    for (const action of ['/sign-in', '/reset', '/reset/verify/pick', '/reset/verify/choose', '/reset/verify/code', '/reset/verify/resend', '/admin/users', '/admin/policy/methods', '/account/change-password']) {
      expect(forms.map((f) => f.action), action).toContain(action);
    }

    const problems: string[] = [];
    let tried = 0;
    for (const form of forms) {
      const base: Array<[string, string]> = form.fields.filter((f) => f.sent && f.name !== '_csrf').map((f) => [f.name, f.value]);
      for (const field of form.fields) {
        if (field.multi || !field.sent || field.name === '_csrf') continue;
        const size = field.kind === 'textarea' ? 20_000 : Math.max(5_000, (field.maxlength ?? 0) + 1);
        const attacks: Record<string, Array<[string, string]>> = {
          'sent twice': [...base, [field.name, field.value || 'x']],
          oversized: base.map(([n, v]) => [n, n === field.name ? 'x'.repeat(size) : v]),
        };
        for (const [how, pairs] of Object.entries(attacks)) {
          const fields: Record<string, string[]> = { ...(form.extra ? Object.fromEntries(Object.entries(await form.extra()).map(([k, v]) => [k, [v]])) : {}) };
          for (const [n, v] of pairs) (fields[n] ??= []).push(v);
          // The page again first: its CSRF token for this client.
          await form.client.get(pageOf(form));
          const before = await dump(tp.store);
          const r = await form.client.post(form.action, fields);
          tried++;
          const after = await dump(tp.store);
          const location = r.res.headers.get('location') ?? '';
          const refused =
            r.status === 400 ||
            r.status === 413 ||
            // A chosen group that names none is "not found".
            (r.status === 404 && field.name === 'groupId') ||
            // A flow id that is not one goes back to the start with a message, as an expired flow does.
            (field.name === 'flow' && r.status === 303 && /^\/(reset|unlock)\?m=/.test(location));
          // What the user reads: words, never an internal message key or an internal error.
          const text = r.body.replace(/<[^>]*>/g, ' ');
          const plain = r.status === 303 || (text.trim().length > 0 && !/(?<![\w.])(v|methods|change|sync|signIn|reset|users|groups|apiTokens|error)\.[a-z][A-Za-z]*(\.[A-Za-z]+)*\b/.test(text) && !/Internal error/i.test(text));
          if (!plain) problems.push(`${form.action} ${field.name} ${how}: no plain words: ${text.replace(/\s+/g, ' ').slice(0, 200)}`);
          if (!refused || after !== before) problems.push(`${form.action} ${field.name} ${how}: ${r.status}${after !== before ? ', the store changed' : ''}`);
        }
      }
    }
    expect(tried).toBeGreaterThan(60);
    expect(problems).toEqual([]);
  });
});
