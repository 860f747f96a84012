import { afterEach, describe, expect, it } from 'vitest';
import { TestClient } from '../helpers/http-client.js';
import type { TestPortal } from '../helpers/test-portal.js';
import { flowOf, solveCaptcha } from '../helpers/reset-flow.js';
import { productForms } from '../helpers/forms.js';

const PW = 'Sturdy-Orchard-Gate-47';

const attr = (tag: string, name: string) => new RegExp(`\\b${name}="([^"]*)"`).exec(tag)?.[1];

/**
 * What a refused form answers, read from the page: the error summary at the top (role="alert")
 * links every field in error, and each such field is marked invalid and described by its own
 * message; no field is marked invalid without being in the summary.
 */
export function errorStructureProblems(html: string): string[] {
  const problems: string[] = [];
  const summary = /<div class="error-summary"[^>]*>([\s\S]*?)<\/div>/.exec(html);
  const invalid = [...html.matchAll(/<(input|select|textarea)\b[^>]*aria-invalid="true"[^>]*>/g)].map((m) => m[0]);
  const alert = /role="alert"/.test(html);
  if (!summary && invalid.length > 0) problems.push(`fields marked invalid (${invalid.map((t) => attr(t, 'name')).join(', ')}) without an error summary`);
  if (!summary && !alert) problems.push('no error summary and no message in role="alert"');
  const linked = summary ? [...summary[1]!.matchAll(/href="#([^"]+)"/g)].map((m) => m[1]!) : [];
  for (const id of linked) {
    const field = new RegExp(`<([a-z0-9]+)\\b[^>]*\\bid="${id}"[^>]*>`).exec(html)?.[0];
    if (!field) {
      problems.push(`the summary links #${id}, which is not on the page`);
      continue;
    }
    // A group of fields (fieldset, role=group) carries its message by aria-describedby; only a control is marked invalid.
    if (!/^<(input|select|textarea)\b/.test(field)) {
      if (!(attr(field, 'aria-describedby') ?? '').split(' ').some((d) => d.endsWith('-error') && html.includes(`id="${d}"`))) problems.push(`the group #${id} has no message tied by aria-describedby`);
      continue;
    }
    if (attr(field, 'aria-invalid') !== 'true') problems.push(`#${id} is in the summary but not marked aria-invalid`);
    const described = (attr(field, 'aria-describedby') ?? '').split(' ').filter(Boolean);
    const error = described.find((d) => new RegExp(`id="${d}"[^>]*>`).test(html) && d.endsWith('-error'));
    if (!error) problems.push(`#${id} has no message of its own tied by aria-describedby`);
  }
  for (const tag of invalid) {
    const id = attr(tag, 'id');
    if (id && summary && !linked.includes(id)) problems.push(`#${id} is marked invalid but not in the summary`);
  }
  return problems;
}

describe('refused forms', () => {
  let t: TestPortal | undefined;
  afterEach(async () => {
    await t?.portal.resets.settled();
    await t?.cleanup();
    t = undefined;
  });

  it('every form of the product, sent with its text fields empty, answers with the error summary and a message tied to each field in error', { timeout: 120_000 }, async () => {
    const found = await productForms(PW);
    t = found.tp;
    const tp = t;
    const { forms, flow, visitor, pageOf } = found;

    const problems: string[] = [];
    const report: string[] = [];
    let refused = 0;
    for (const form of forms) {
      const typed = form.fields.filter((f) => f.sent && f.name !== '_csrf' && ['text', 'password', 'email', 'search', 'tel', 'textarea', 'url', 'number'].includes(f.type));
      if (typed.length === 0) continue;
      // Empty first; a form that takes empty boxes (a stored setting left empty falls back to its default) gets words where numbers belong.
      for (const typedValue of ['', 'not a number']) {
        const fields: Record<string, string[]> = { ...(form.extra ? Object.fromEntries(Object.entries(await form.extra()).map(([k, v]) => [k, [v]])) : {}) };
        for (const f of form.fields) if (f.sent && f.name !== '_csrf') (fields[f.name] ??= []).push(typed.includes(f) ? typedValue : f.value);
        await form.client.get(pageOf(form));
        const r = await form.client.post(form.action, fields);
        report.push(`${form.action} [${typed.map((f) => f.name).join(',')}] ${JSON.stringify(typedValue)} → ${r.status}`);
        if (r.status < 400 || !(r.res.headers.get('content-type') ?? '').includes('text/html')) continue;
        refused++;
        for (const p of errorStructureProblems(r.body)) problems.push(`${form.action} (${form.page}): ${p}`);
        break;
      }
    }
    expect(refused, report.join('\n')).toBeGreaterThan(28);
    expect(problems).toEqual([]);

    // The address step of a new flow (above, the flow had gone on to its code): the summary links the address box.
    const other = new TestClient(tp.app);
    await other.get('/reset');
    const second = flowOf(await other.post('/reset', { username: 'victim', captcha: await solveCaptcha(other) }));
    await other.post('/reset/verify/pick', { flow: second, choice: 'email' });
    await other.get(`/reset/verify?flow=${second}`);
    const empty = await other.post('/reset/verify/choose', { flow: second, choice: 'email', contact: '' });
    expect(empty.status).toBe(400);
    expect(empty.body).toContain('href="#contact-email"');
    expect(errorStructureProblems(empty.body)).toEqual([]);
    // A form sent from an older page (the address, when the flow is at its code): the refusal is still told, as a notice.
    const stale = await visitor.post('/reset/verify/choose', { flow, choice: 'email', contact: '' });
    expect(stale.status).toBe(400);
    expect(stale.body).toMatch(/class="notice[^"]*error[^"]*"[^>]*>/);
  });
});
