import { describe, expect, it } from 'vitest';
import { expectError, useApiSandbox } from '../../test/helpers/api-sandbox.js';
import { solidPng } from '../../test/helpers/images.js';
import { TestClient } from '../../test/helpers/http-client.js';

const BRAND = { organisationName: 'Contoso', primaryColour: '#1d4f91', backgroundColour: '#ffffff', signInMessage: 'Welcome to Contoso.', helpdesk: 'help@contoso.example', footerLinks: [{ label: 'Privacy', url: 'https://contoso.example/privacy' }] };

/** The brand over the JSON API: the console's rules, versions and audit, in the settings area. */
describe('JSON API: /brand', () => {
  const { call, current: sb } = useApiSandbox();

  it('reads the brand of the file (version 0), replaces it on top of that version, and the pages show it at once', async () => {
    const first = await call('GET', '/brand', { token: sb().readToken });
    expect(first.status).toBe(200);
    expect(first.res.headers.get('etag')).toBe('"0"');
    expect(first.json).toMatchObject({ version: 0, changedBy: null, brand: { logo: null } });
    const saved = await call('PUT', '/brand', { token: sb().writeToken, headers: { 'if-match': '"0"' }, body: { brand: BRAND, logo: { data: solidPng(64, 32).toString('base64') } } });
    expect(saved.status, saved.text).toBe(200);
    expect(saved.res.headers.get('etag')).toBe('"1"');
    expect(saved.json).toMatchObject({ version: 1, changedBy: 'api:ci-sync', brand: { ...BRAND, logo: { kind: 'png' } } });
    const logoUrl = saved.json.brand.logo.url as string;
    expect(logoUrl).toMatch(/^\/brand\/logo\/[0-9a-f]{64}\.png$/);
    const page = await new TestClient(sb().tp.app).get('/sign-in');
    expect(page.body).toContain('Welcome to Contoso.');
    expect(page.body).toContain(logoUrl);
    expect((await sb().tp.app.request(`http://localhost:8080${logoUrl}`)).status).toBe(200);
    const audit = await sb().tp.store.db.selectFrom('audit_events').select(['actor_name', 'details']).where('event', '=', 'brand_changed').executeTakeFirstOrThrow();
    expect(audit.actor_name).toBe('api:ci-sync');
    expect(JSON.parse(audit.details!)).toMatchObject({ version: 1, changed: expect.stringContaining('organisationName') });
  });

  it('PATCH changes only the fields given; the logo stays unless null removes it; the versions list every save', async () => {
    expect((await call('PUT', '/brand', { token: sb().writeToken, body: { brand: BRAND, logo: { data: solidPng(16, 16).toString('base64') } } })).status).toBe(200);
    const patched = await call('PATCH', '/brand', { token: sb().writeToken, body: { brand: { signInMessage: 'Need help? Call 1234.' }, expectedVersion: 1 } });
    expect(patched.status, patched.text).toBe(200);
    expect(patched.json.brand).toMatchObject({ organisationName: 'Contoso', signInMessage: 'Need help? Call 1234.', logo: { kind: 'png' } });
    const removed = await call('PATCH', '/brand', { token: sb().writeToken, body: { brand: {}, logo: null } });
    expect(removed.json.brand.logo).toBeNull();
    const versions = await call('GET', '/brand/versions?limit=2', { token: sb().readToken });
    expect(versions.json.items.map((v: { version: number }) => v.version)).toEqual([3, 2]);
    expectError(await call('GET', '/brand/versions?limit=0', { token: sb().readToken }), 400, 'invalid_input');
  });

  it('refuses in words, saving nothing: a colour without contrast (with a colour that passes), a link that is not https, a file that is not an image, a stale version', async () => {
    const before = await sb().state();
    const pale = await call('PUT', '/brand', { token: sb().writeToken, body: { brand: { ...BRAND, primaryColour: '#9ec5fe', footerLinks: [{ label: 'Intranet', url: 'http://intranet' }] } } });
    expectError(pale, 400, 'invalid_input');
    expect(pale.json.error.fields['brand.primaryColour']).toMatch(/^The contrast of #9ec5fe with white text is [\d.]+ to 1; at least 4\.5 to 1 is needed\. Try a darker colour, for example #[0-9a-f]{6}\.$/);
    expect(pale.json.error.fields['brand.footerLinks.0.url']).toBeTruthy();
    const notImage = await call('PUT', '/brand', { token: sb().writeToken, body: { brand: BRAND, logo: { data: Buffer.from('<html>hello</html>').toString('base64') } } });
    expectError(notImage, 400, 'invalid_input');
    expect(notImage.json.error.fields.logo).toBe('The file is not a PNG, JPEG, WebP or SVG image. Choose an image file.');
    const script = await call('PUT', '/brand', { token: sb().writeToken, body: { brand: BRAND, logo: { data: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>').toString('base64') } } });
    expect(script.json.error.fields.logo).toContain('The SVG contains scripts');
    expectError(await call('PUT', '/brand', { token: sb().writeToken, body: { brand: BRAND, colour: 'red' } }), 400, 'invalid_input');
    expect(await sb().state()).toBe(before);
    expect((await call('PUT', '/brand', { token: sb().writeToken, body: { brand: BRAND } })).status).toBe(200);
    const stale = await call('PATCH', '/brand', { token: sb().writeToken, headers: { 'if-match': '"0"' }, body: { brand: { organisationName: 'Fabrikam' } } });
    expectError(stale, 412, 'precondition_failed');
    expect(stale.res.headers.get('etag')).toBe('"1"');
    expectError(await call('PATCH', '/brand', { token: sb().writeToken, body: { brand: { organisationName: 'Fabrikam' }, expectedVersion: 0 } }), 409, 'conflict');
    expect((await call('GET', '/brand', { token: sb().readToken })).json.brand.organisationName).toBe('Contoso');
  });

  it('is in the settings area: a settings:write token may change it, a users:write token may not', async () => {
    const settingsToken = await sb().tp.portal.apiTokens.create({ id: null, name: 'root' }, { name: 'brand-bot', scope: 'write', areas: ['settings'] });
    const usersToken = await sb().tp.portal.apiTokens.create({ id: null, name: 'root' }, { name: 'users-bot', scope: 'write', areas: ['users'] });
    if (!settingsToken.ok || !usersToken.ok) throw new Error('tokens');
    expect((await call('PATCH', '/brand', { token: settingsToken.value.token, body: { brand: { ...BRAND } } })).status).toBe(200);
    const refused = await call('PATCH', '/brand', { token: usersToken.value.token, body: { brand: { organisationName: 'Mallory' } } });
    expectError(refused, 403, 'forbidden');
    expect(refused.json.error.message).toContain('settings:write');
  });
});
