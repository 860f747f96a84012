import { afterEach, describe, expect, it } from 'vitest';
import { createTestPortal, dialects, type TestPortal } from '../../test/helpers/test-portal.js';
import { TestClient } from '../../test/helpers/http-client.js';
import { flowOf, startReset } from '../../test/helpers/reset-flow.js';

const actor = { id: null, name: 'test' };
const brand = { organisationName: 'Contoso', primaryColour: '#1d4f91', backgroundColour: '#ffffff', signInMessage: '', footerLinks: [] };

let t: TestPortal | undefined;
afterEach(async () => {
  await t?.cleanup();
  t = undefined;
});

describe.each(dialects)('one helpdesk rule for pages and flows on %s', (dialect) => {
  it("the saved brand's helpdesk, else the policy's, else the file's — the same on the page frame and in the reset flow", async () => {
    t = await createTestPortal({ dialect, config: { branding: { helpdesk: 'help@file.example' }, reset: { captchaMaxNumber: 200 } } });
    const resetPage = async () => {
      const c = new TestClient(t!.app);
      return (await c.get(`/reset/verify?flow=${flowOf(await startReset(c, 'nobody.here'))}`)).body;
    };
    const expectEverywhere = async (want: string, notWant: string[]) => {
      expect(await t!.portal.helpdeskContact()).toBe(want);
      const body = await resetPage();
      expect(body).toContain(want);
      for (const other of notWant) expect(body).not.toContain(other);
    };

    await expectEverywhere('help@file.example', []);
    expect((await t.portal.policy.update(actor, { customization: { helpdesk: 'policy-help@corp.example' } })).ok).toBe(true);
    await expectEverywhere('policy-help@corp.example', ['help@file.example']);
    expect(await t.portal.brand.update(actor, { ...brand, helpdesk: 'brand-help@corp.example' }, null)).toMatchObject({ ok: true });
    await expectEverywhere('brand-help@corp.example', ['policy-help@corp.example', 'help@file.example']);
    // A saved brand without a helpdesk hands back to the policy's.
    expect(await t.portal.brand.update(actor, { ...brand, helpdesk: '' }, null)).toMatchObject({ ok: true });
    await expectEverywhere('policy-help@corp.example', ['brand-help@corp.example']);
  });
});
