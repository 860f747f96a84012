import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import type { AppEnv } from '../http/context.js';
import { translator } from '../i18n/index.js';
import type { User } from '../directory/users.js';
import { CallerVerificationPanel } from './verification-ui.js';
import { VERIFICATION_VALID_MS, type MaskedMethod, type SupportView } from './types.js';

/**
 * The "Verify the caller" panel as the support page renders it (the page itself is the support
 * view's): which methods it offers, where its forms post, and what it says. Rendered through a
 * Hono app with the request variables the portal's middleware sets.
 */

const user = { id: '11111111-1111-4111-8111-111111111111', username: 'alice' } as User;
const methods: MaskedMethod[] = [
  { id: 'aaaaaaaa-0000-4000-8000-000000000001', type: 'email', masked: 'a•••@mail.test', registeredAt: 0, lastUsedAt: null, isDefault: true, canReceive: true },
  { id: 'aaaaaaaa-0000-4000-8000-000000000002', type: 'mobile', masked: '+44 ••• 23', registeredAt: 0, lastUsedAt: null, isDefault: false, canReceive: true },
  { id: 'aaaaaaaa-0000-4000-8000-000000000003', type: 'totp', masked: 'Authenticator app', registeredAt: 0, lastUsedAt: null, isDefault: false, canReceive: false },
  { id: 'aaaaaaaa-0000-4000-8000-000000000004', type: 'passkey', masked: 'Work laptop', registeredAt: 0, lastUsedAt: null, isDefault: false, canReceive: false },
  { id: 'questions', type: 'questions', masked: 'Security questions', registeredAt: 0, lastUsedAt: null, isDefault: false, canReceive: false },
  { id: 'aaaaaaaa-0000-4000-8000-000000000005', type: 'recovery_code', masked: 'Recovery codes', registeredAt: 0, lastUsedAt: null, isDefault: false, canReceive: false, recoveryCodes: { left: 9, total: 10 } },
];

async function render(view: Partial<SupportView>, query = ''): Promise<string> {
  const app = new Hono<AppEnv>();
  app.use('*', async (c, next) => {
    c.set('t', translator('en'));
    c.set('csrfToken', 'csrf-token-value');
    await next();
  });
  app.get('/', (c) => c.html(<CallerVerificationPanel c={c} view={{ user, methods, verifiedUntil: null, ...view } as SupportView} />));
  return (await app.request(`/${query}`)).text();
}

const radios = (html: string) => [...html.matchAll(/<input type="radio" name="methodId" value="([^"]+)"/g)].map((m) => m[1]);

describe('the caller verification panel', () => {
  it('offers the methods that can verify a caller (not questions or recovery codes), a mobile by text or by call, and posts with CSRF', async () => {
    const html = await render({});
    expect(radios(html)).toEqual([methods[0]!.id, methods[1]!.id, `${methods[1]!.id}:voice`, methods[2]!.id, methods[3]!.id]);
    expect(html).toContain(`action="/admin/users/${user.id}/verification"`);
    expect(html).toContain('name="_csrf" value="csrf-token-value"');
    expect(html).toContain('Not verified');
    expect(html).not.toContain('name="code"');
  });

  it('after a code was sent: says where (masked) and asks for the code of that attempt', async () => {
    const attempt = '22222222-2222-4222-8222-222222222222';
    const html = await render({}, `?verification=${attempt}&via=${methods[0]!.id}&verify=sent&until=${Date.UTC(2026, 0, 1, 14, 7)}`);
    expect(html).toContain('A code is on its way to a•••@mail.test.');
    expect(html).toContain('valid until 14:07 UTC');
    expect(html).toContain(`action="/admin/users/${user.id}/verification/${attempt}/check"`);
    expect(html).toContain('name="code"');
  });

  it('says verified, and until when, only from the view — never from the address', async () => {
    const until = Date.UTC(2026, 0, 1, 14, 12);
    expect(await render({ verifiedUntil: until })).toContain(`Verified at 14:02 UTC — reset link and unlock are available until 14:12 UTC.`);
    expect(until - Date.UTC(2026, 0, 1, 14, 2)).toBe(VERIFICATION_VALID_MS);
    const forged = await render({}, '?verify=verified');
    expect(forged).not.toContain('Verified at');
    expect(forged).toContain('Not verified');
  });

  it('shows only fixed words for what happened: an unknown word or a made-up attempt id shows nothing', async () => {
    const html = await render({}, '?verify=methods.blocked&verification=not-an-id');
    expect(html).not.toContain('methods.blocked');
    expect(html).not.toContain('name="code"');
    expect(await render({}, '?verify=blocked')).toContain('self-service is blocked for now');
  });

  it('with nothing that can verify, says so', async () => {
    expect(await render({ methods: [methods[4]!] })).toContain('has nothing registered that can verify them');
  });
});
