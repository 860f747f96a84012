import { describe, expect, it } from 'vitest';
import { TestClient } from '../helpers/http-client.js';
import { lastCodeTo } from '../helpers/outbox.js';
import { createTestPortal } from '../helpers/test-portal.js';
import { NEW_PASSWORD, PASSWORD, flowOf, passEmail, registered, resetPortals, signInWorks, startReset } from '../helpers/reset-flow.js';

const portal = resetPortals();
const MOBILE = '+14155550123';

describe('codes and links around a reset', () => {
  it('a code sent before a reset no longer works after it: the finished reset voids every open code of the user', async () => {
    const t = await portal({ methods: { available: ['email', 'mobile_sms'] } });
    const { user, email } = await registered(t.portal, 'dana', { mobile: MOBILE });
    // One browser asks for a text message code and leaves it unused.
    const first = new TestClient(t.app);
    const firstFlow = flowOf(await startReset(first, 'dana'));
    await first.get(`/reset/verify?flow=${firstFlow}`);
    expect((await first.post('/reset/verify/choose', { flow: firstFlow, choice: 'mobile_sms', contact: MOBILE })).status).toBe(303);
    await t.portal.resets.settled();
    const early = await lastCodeTo(t.portal, MOBILE);
    const open = async () => (await t.store.db.selectFrom('verification_codes').select(['id', 'used_at']).where('user_id', '=', user.id).where('used_at', 'is', null).execute()).length;
    expect(await open()).toBe(1);
    // Another browser resets the password with the email code.
    const second = new TestClient(t.app);
    const secondFlow = flowOf(await startReset(second, 'dana'));
    await passEmail(t, second, secondFlow, email);
    expect((await second.post('/reset/password', { flow: secondFlow, password: NEW_PASSWORD, confirm: NEW_PASSWORD })).status).toBe(303);
    await t.portal.resets.settled();
    // The text message code was voided with the reset (not only by another code of its kind)…
    expect(await open()).toBe(0);
    // …so typed into its own flow it passes nothing, and that flow cannot set a password.
    const typed = await first.post('/reset/verify/code', { flow: firstFlow, code: early });
    expect(typed.status === 400 || (typed.status === 303 && !/verify\?flow=/.test(typed.res.headers.get('location') ?? ''))).toBe(true);
    expect((await first.get(`/reset/verify?flow=${firstFlow}`)).body).not.toContain('Choose a new password');
    await first.post('/reset/password', { flow: firstFlow, password: 'Another-Try-Parsnip-55', confirm: 'Another-Try-Parsnip-55' });
    expect(await signInWorks(t, 'dana', 'Another-Try-Parsnip-55')).toBe(false);
    expect(await signInWorks(t, 'dana', NEW_PASSWORD)).toBe(true);
    expect(await signInWorks(t, 'dana', PASSWORD)).toBe(false);
  });

  it('the setup page reached with its token, its refusals and its form answer send Referrer-Policy: no-referrer', async () => {
    const t = await createTestPortal();
    try {
      const { token } = await t.portal.firstRun.issueToken();
      const c = new TestClient(t.app);
      const page = await c.get(`/setup?token=${token}`);
      expect(page.status).toBe(200);
      expect(page.body).toContain(token);
      const wrong = await c.get('/setup?token=' + 'x'.repeat(43));
      const bad = await c.post('/setup', { token, username: '', displayName: '', email: '', password: '', confirm: '' });
      expect(bad.status).toBe(400);
      const done = await c.post('/setup', { token, username: 'admin', displayName: 'First Admin', email: 'admin@example.com', password: 'a long setup passphrase', confirm: 'a long setup passphrase' });
      expect(done.status).toBe(303);
      const used = await c.get(`/setup?token=${token}`);
      expect(used.status).toBe(410);
      for (const [step, r] of Object.entries({ page, wrong, bad, done, used })) expect(r.res.headers.get('referrer-policy'), step).toBe('no-referrer');
    } finally {
      await t.cleanup();
    }
  });
});
