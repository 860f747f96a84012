import { afterEach, describe, expect, it } from 'vitest';
import { createTestPortal, dialects, type TestPortal } from '../../test/helpers/test-portal.js';
import { TestClient, makeUser } from '../../test/helpers/http-client.js';
import { solidPng } from '../../test/helpers/images.js';
import { flowOf, startReset } from '../../test/helpers/reset-flow.js';
import { NOT_ME_PATH } from '../delivery/notices.js';

const PW = 'Lantern-Orchard-Quay-42';
const actor = { id: null, name: 'test' };
const valid = { organisationName: 'Contoso', primaryColour: '#1d4f91', backgroundColour: '#ffffff', signInMessage: '', helpdesk: '', footerLinks: [] };

let t: TestPortal | undefined;
afterEach(async () => {
  await t?.cleanup();
  t = undefined;
});

describe.each(dialects)('the stored brand on %s', (dialect) => {
  it('starts from the configuration file, then each save is a new version, audited as brand_changed with the fields that changed', async () => {
    t = await createTestPortal({ dialect, config: { branding: { organisationName: 'From The File', primaryColour: '#0B5CAD', helpdesk: 'help@file.example' } } });
    const brand = t.portal.brand;
    const initial = await brand.current();
    expect(initial).toMatchObject({ version: 0, brand: { organisationName: 'From The File', primaryColour: '#0b5cad', helpdesk: 'help@file.example', logo: null } });

    const logo = await brand.storeLogo(solidPng(32, 32));
    if (!logo.ok) throw new Error('logo refused');
    // Uploaded but not saved: the console may show it, nobody else gets it.
    expect(await brand.logo(logo.value.sha256)).toBeNull();
    expect(await brand.logo(logo.value.sha256, { unpublished: true })).not.toBeNull();
    const saved = await brand.update(actor, { ...valid, footerLinks: [{ label: 'Privacy', url: 'https://contoso.example/privacy' }] }, { sha256: logo.value.sha256, kind: 'png' }, { expectedVersion: 0 });
    expect(saved).toMatchObject({ ok: true, value: { version: 1, brand: { organisationName: 'Contoso', logo: { sha256: logo.value.sha256, kind: 'png' } } } });
    // The same values again change nothing.
    expect(await brand.update(actor, { ...valid, footerLinks: [{ label: 'Privacy', url: 'https://contoso.example/privacy' }] }, { sha256: logo.value.sha256, kind: 'png' })).toMatchObject({ ok: true, value: { version: 1 } });
    // A save on top of version 0 after version 1 exists is a conflict; nothing is lost.
    expect(await brand.update(actor, { ...valid, organisationName: 'Late' }, null, { expectedVersion: 0 })).toEqual({ ok: false, reason: 'conflict' });
    const events = await t.store.db.selectFrom('audit_events').selectAll().where('event', '=', 'brand_changed').execute();
    expect(events).toHaveLength(1);
    expect(JSON.parse(events[0]!.details as string)).toEqual({ version: 1, changed: 'organisationName,logo,primaryColour,backgroundColour,helpdesk,footerLinks' });
    expect((await brand.logo(logo.value.sha256))?.bytes.equals(solidPng(32, 32))).toBe(true);
  });

  it('passwords holding the organisation name are refused by the saved name, not only the one in the file', async () => {
    t = await createTestPortal({ dialect, config: { branding: { organisationName: 'Northwind' } } });
    const password = 'Fabrikam-Lantern-Quay-42';
    expect((await t.portal.directory.testPassword(password, { username: 'zed' })).ok).toBe(true);
    expect((await t.portal.directory.testPassword('Northwind-Lantern-Quay-42', { username: 'zed' })).ok).toBe(false);
    expect(await t.portal.brand.update(actor, { ...valid, organisationName: 'Fabrikam' }, null)).toMatchObject({ ok: true });
    const verdict = await t.portal.directory.testPassword(password, { username: 'zed' });
    expect(verdict.ok).toBe(false);
    expect(verdict.reasons.map((r) => r.key)).toEqual(['v.password.organisation']);
  });

  it('a saved brand\'s helpdesk is the one the reset, the reset link and the "this wasn\'t me" pages name; before, the policy\'s', async () => {
    t = await createTestPortal({ dialect, config: { reset: { captchaMaxNumber: 200 } } });
    expect((await t.portal.policy.update(actor, { customization: { helpdesk: 'policy-help@corp.example' } })).ok).toBe(true);
    const pages = async () => {
      const c = new TestClient(t!.app);
      const flow = flowOf(await startReset(c, 'nobody.here'));
      return [(await c.get(`/reset/verify?flow=${flow}`)).body, (await c.get(`${NOT_ME_PATH}?token=not-a-token`)).body, (await c.get('/reset/link/not-a-token')).body];
    };
    for (const body of await pages()) expect(body).toContain('policy-help@corp.example');
    expect(await t.portal.brand.update(actor, { ...valid, helpdesk: 'brand-help@corp.example' }, null)).toMatchObject({ ok: true });
    for (const body of await pages()) {
      expect(body).toContain('brand-help@corp.example');
      expect(body).not.toContain('policy-help@corp.example');
    }
  });

  it('a low-contrast colour, a bad link or a logo that is not stored is refused and nothing is saved', async () => {
    t = await createTestPortal({ dialect });
    const brand = t.portal.brand;
    const low = await brand.update(actor, { ...valid, primaryColour: '#ffcc00' }, null);
    expect(low).toMatchObject({ ok: false, reason: 'invalid', errors: { primaryColour: { key: 'brand.v.contrastDarker', vars: { colour: '#ffcc00', ratio: '1.5', min: '4.5' } } } });
    const links = await brand.update(actor, { ...valid, footerLinks: [{ label: 'x', url: 'javascript:alert(1)' }, ...Array.from({ length: 5 }, (_, i) => ({ label: `l${i}`, url: 'https://a.example' }))] }, null);
    expect(links).toMatchObject({ ok: false, errors: { 'footerLinks.0.url': { key: 'brand.v.linkUrl' }, footerLinks: { key: 'brand.v.tooManyLinks' } } });
    expect(await brand.update(actor, valid, { sha256: 'a'.repeat(64), kind: 'png' })).toMatchObject({ ok: false, errors: { logo: { key: 'brand.v.logoGone' } } });
    expect(await t.store.db.selectFrom('brand_versions').selectAll().execute()).toEqual([]);
  });

  it('housekeeping deletes logos uploaded for a preview and never saved once a day old; a logo a saved version named stays, even after it was replaced', async () => {
    t = await createTestPortal({ dialect, manualTime: true });
    const brand = t.portal.brand;
    const saved = await brand.storeLogo(solidPng(20, 20));
    const preview = await brand.storeLogo(solidPng(30, 30));
    if (!saved.ok || !preview.ok) throw new Error('logos');
    expect(await brand.update(actor, valid, { sha256: saved.value.sha256, kind: 'png' })).toMatchObject({ ok: true });
    // Replaced by a brand without a logo: the first version still names it.
    expect(await brand.update(actor, { ...valid, organisationName: 'Contoso Ltd' }, null)).toMatchObject({ ok: true });
    t.clock.advance!(23 * 3_600_000);
    expect(await brand.pruneUnsavedLogos()).toBe(0);
    t.clock.advance!(2 * 3_600_000);
    expect(await brand.pruneUnsavedLogos()).toBe(1);
    const left = await t.store.db.selectFrom('brand_assets').select('sha256').execute();
    expect(left.map((r) => r.sha256)).toEqual([saved.value.sha256]);
    expect(await brand.logo(saved.value.sha256)).not.toBeNull();
  });
});

describe('the brand page names each problem next to its field', () => {
  it('a sign-in message that is too long is refused with its error tied to the text box (aria-describedby), and nothing is saved', async () => {
    t = await createTestPortal();
    await makeUser(t.portal, { username: 'boss', password: PW, roles: ['administrator'] });
    const boss = new TestClient(t.app);
    expect((await boss.signIn('boss', PW)).status).toBe(303);
    await boss.get('/admin/branding');
    const refused = await boss.post('/admin/branding', { ...valid, signInMessage: 'x'.repeat(501), expectedVersion: '0', action: 'save' });
    expect(refused.status).toBe(400);
    expect(refused.body).toContain('<p class="field-error" id="f-signInMessage-error">');
    expect(refused.body).toMatch(/<textarea id="f-signInMessage"[^>]*aria-describedby="f-signInMessage-hint f-signInMessage-error"[^>]*aria-invalid="true"/);
    expect((await t.portal.brand.refresh()).version).toBe(0);
  });
});

describe('who may change the brand', () => {
  it('the helpdesk and plain users get 403 on the page and on a CSRF-valid post; a post without the token is refused; the brand stays', async () => {
    t = await createTestPortal();
    await makeUser(t.portal, { username: 'desk', password: PW, roles: ['password_administrator'] });
    await makeUser(t.portal, { username: 'someone', password: PW });
    await makeUser(t.portal, { username: 'boss', password: PW, roles: ['administrator'] });
    for (const username of ['desk', 'someone']) {
      const c = new TestClient(t.app);
      expect((await c.signIn(username, PW)).status).toBe(303);
      expect((await c.get('/admin/branding')).status, username).toBe(403);
      await c.get('/account');
      expect((await c.post('/admin/branding', { ...valid, organisationName: 'Hijack', expectedVersion: '0', action: 'save' })).status, username).toBe(403);
    }
    const boss = new TestClient(t.app);
    expect((await boss.signIn('boss', PW)).status).toBe(303);
    await boss.get('/admin/branding');
    expect((await boss.post('/admin/branding', { _csrf: 'forged', ...valid, expectedVersion: '0', action: 'save' })).status).toBe(403);
    expect((await t.portal.brand.refresh()).version).toBe(0);
    // With the token, the administrator's save goes through.
    const ok = await boss.post('/admin/branding', { ...valid, organisationName: 'Contoso', expectedVersion: '0', action: 'save' });
    expect(ok.status).toBe(303);
    expect((await t.portal.brand.refresh()).brand.organisationName).toBe('Contoso');
  });
});
