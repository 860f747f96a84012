import { describe, expect, it } from 'vitest';
import { createTestPortal, type TestPortal } from '../../test/helpers/test-portal.js';
import { TestClient, makeUser } from '../../test/helpers/http-client.js';
import { lastMessageTo, messagesTo } from '../../test/helpers/outbox.js';
import { codeIn } from '../../test/helpers/codes.js';
import { PASSWORD, registered, resetPortals } from '../../test/helpers/reset-flow.js';
import { currentTotp } from '../methods/totp.js';
import { throttleKeys } from '../state/throttle-keys.js';
import { lockRemaining } from '../state/lockout.js';
import { VERIFICATION_VALID_MS } from './types.js';
import { DirectoryAccess, type Viewer } from './access.js';
import { CallerVerificationService } from './verification.js';
import type { User } from '../directory/users.js';
import { translator } from '../i18n/index.js';

/**
 * The helpdesk verifies a caller with the caller's own methods (issue 13, item 4): HTTP through
 * the console's routes against the real app over a real SQLite store; codes are read from the
 * outbox (a real delivery mode).
 */

const portal = resetPortals();
const MINUTE = 60_000;

async function setUp(opts: { totp?: boolean; mobile?: string } = {}) {
  const t = await portal({ delivery: { limits: { perDestinationPerHour: 50, perDestinationPerDay: 50 } } }, true);
  const alice = await registered(t.portal, 'alice', opts);
  const admin = await makeUser(t.portal, { username: 'root', password: PASSWORD, roles: ['administrator'], email: 'root@corp.test' });
  const desk = new TestClient(t.app);
  expect((await desk.signIn('root', PASSWORD)).status).toBe(303);
  expect((await desk.get(`/admin/users/${alice.user.id}`)).status).toBe(200);
  const methods = await t.portal.methods.list(alice.user.id, { confirmedOnly: true });
  return { t, alice, admin, desk, methods };
}

const advance = (t: TestPortal, ms: number) => t.clock.advance!(ms);

/** Starts a verification through the console's form; the attempt's id from the redirect. */
async function start(desk: TestClient, userId: string, methodId: string): Promise<{ status: number; location: string; id: string | null }> {
  const r = await desk.post(`/admin/users/${userId}/verification`, { methodId });
  const location = r.res.headers.get('location') ?? '';
  return { status: r.status, location, id: /verification=([0-9a-f-]{36})/.exec(location)?.[1] ?? null };
}

async function check(desk: TestClient, userId: string, id: string, code: string): Promise<string> {
  const r = await desk.post(`/admin/users/${userId}/verification/${id}/check`, { code });
  expect(r.status).toBe(303);
  return r.res.headers.get('location') ?? '';
}

const wrongCode = (right: string) => (right === '00000000' ? '11111111' : '00000000');

async function auditRows(t: TestPortal) {
  return t.store.db.selectFrom('audit_events').selectAll().where('event', 'like', 'caller_verification_%').orderBy('id').execute();
}

describe('caller verification', () => {
  it('a helpdesk verifies a caller with a code sent to the caller’s own registered email', async () => {
    const { t, alice, admin, desk, methods } = await setUp();
    const email = methods.find((m) => m.type === 'email')!;
    const started = await start(desk, alice.user.id, email.id);
    expect(started.status).toBe(303);
    expect(started.location).toContain(`/admin/users/${alice.user.id}?`);
    expect(started.location).toContain('verify=sent');
    const message = await lastMessageTo(t.portal, alice.email);
    expect(message?.body).toContain('Your helpdesk asked to confirm it is you');
    expect(message?.body).toContain('If you did not call the helpdesk, do not share it.');
    expect(await t.portal.callerVerifications.verifiedUntil(admin.id, alice.user.id)).toBeNull();

    const location = await check(desk, alice.user.id, started.id!, codeIn(message!.body!));
    expect(location).toContain('verify=verified');
    const until = await t.portal.callerVerifications.verifiedUntil(admin.id, alice.user.id);
    expect(until).toBe(t.clock.now() + VERIFICATION_VALID_MS);
    expect(VERIFICATION_VALID_MS).toBe(10 * MINUTE);

    // It counts for the actor who verified, not for another helpdesk user.
    const other = await makeUser(t.portal, { username: 'second.admin', password: PASSWORD, roles: ['administrator'] });
    expect(await t.portal.callerVerifications.verifiedUntil(other.id, alice.user.id)).toBeNull();

    advance(t, 10 * MINUTE - 1000);
    expect(await t.portal.callerVerifications.verifiedUntil(admin.id, alice.user.id)).toBe(until);
    advance(t, 1000);
    expect(await t.portal.callerVerifications.verifiedUntil(admin.id, alice.user.id)).toBeNull();
  });

  it('a code sent for the helpdesk is single use, and expires', async () => {
    const { t, alice, desk, methods } = await setUp();
    const email = methods.find((m) => m.type === 'email')!;
    const first = await start(desk, alice.user.id, email.id);
    const code = codeIn((await lastMessageTo(t.portal, alice.email))!.body!);
    advance(t, 5 * MINUTE);
    expect(await check(desk, alice.user.id, first.id!, code)).toContain('verify=expired');

    const second = await start(desk, alice.user.id, email.id);
    const fresh = codeIn((await lastMessageTo(t.portal, alice.email))!.body!);
    // The code of the first attempt is void: a newer code replaced it.
    expect(await check(desk, alice.user.id, second.id!, code === fresh ? wrongCode(fresh) : code)).toContain('verify=wrong');
    expect(await check(desk, alice.user.id, second.id!, fresh)).toContain('verify=verified');
  });

  it('caller verification is throttled like self-service: wrong codes count towards the user’s block; sends are limited', async () => {
    const { t, alice, desk, methods } = await setUp();
    const email = methods.find((m) => m.type === 'email')!;
    const threshold = t.config.throttling.failedVerificationsPerDay;
    let outcome = '';
    for (let i = 0; i < threshold; i++) {
      const s = await start(desk, alice.user.id, email.id);
      expect(s.location).toContain('verify=sent');
      const right = codeIn((await lastMessageTo(t.portal, alice.email))!.body!);
      outcome = await check(desk, alice.user.id, s.id!, wrongCode(right));
      if (i < threshold - 1) expect(outcome).toContain('verify=wrong');
    }
    expect(outcome).toContain('verify=blocked');
    // The wrong codes count on the user's own counter too: the user's own resets are blocked now as well.
    expect(await t.portal.securityInfo.blockedFor(alice.user.id)).toBe(true);
    expect(await t.portal.securityInfo.blockedFor(alice.user.id, 'helpdesk')).toBe(true);
    expect(lockRemaining(await t.portal.throttle.get(throttleKeys.verifyFailures(alice.user.id)), t.clock.now())).toBe(t.config.throttling.blockHours * 3_600_000);
    // And nothing more is sent while blocked.
    const sent = (await messagesTo(t.portal, alice.email)).length;
    expect((await start(desk, alice.user.id, email.id)).location).toContain('verify=blocked');
    expect((await messagesTo(t.portal, alice.email)).length).toBe(sent);
  });

  it('a user whose self-service is blocked can still be verified by the helpdesk: its wrong codes are counted on a counter of their own', async () => {
    const { t, alice, desk, methods } = await setUp();
    const email = methods.find((m) => m.type === 'email')!;
    const policy = t.portal.securityInfoLimits.verifyFailures;
    for (let i = 0; i < policy.threshold; i++) await t.portal.throttle.recordFailure(throttleKeys.verifyFailures(alice.user.id), policy);
    expect(await t.portal.securityInfo.blockedFor(alice.user.id)).toBe(true);
    const s = await start(desk, alice.user.id, email.id);
    expect(s.location).toContain('verify=sent');
    const right = codeIn((await lastMessageTo(t.portal, alice.email))!.body!);
    expect(await check(desk, alice.user.id, s.id!, right)).toContain('verify=verified');
    expect(await t.portal.callerVerifications.verifiedUntil((await t.portal.users.byUsername('root'))!.id, alice.user.id)).toBe(t.clock.now() + VERIFICATION_VALID_MS);
    // The user's own block is untouched: only the helpdesk's unblock lifts it.
    expect(await t.portal.securityInfo.blockedFor(alice.user.id)).toBe(true);
    expect(await t.portal.securityInfo.blockedFor(alice.user.id, 'helpdesk')).toBe(false);
  });

  it('sends for the helpdesk count on the user’s send limit (no pumping through the helpdesk)', async () => {
    const { t, alice, desk, methods } = await setUp();
    const email = methods.find((m) => m.type === 'email')!;
    const limit = t.config.throttling.emailSendsPer10Minutes;
    for (let i = 0; i < limit; i++) expect((await start(desk, alice.user.id, email.id)).location).toContain('verify=sent');
    const sent = (await messagesTo(t.portal, alice.email)).length;
    expect((await start(desk, alice.user.id, email.id)).location).toContain('verify=limited');
    expect((await messagesTo(t.portal, alice.email)).length).toBe(sent);
    expect(lockRemaining(await t.portal.throttle.get(throttleKeys.emailSends(alice.user.id)), t.clock.now())).toBeGreaterThan(0);
  });

  it('every verification attempt is audited (start, wrong, right, expired), never the code', async () => {
    const { t, alice, admin, desk, methods } = await setUp();
    const email = methods.find((m) => m.type === 'email')!;
    const a = await start(desk, alice.user.id, email.id);
    const codeA = codeIn((await lastMessageTo(t.portal, alice.email))!.body!);
    advance(t, 6 * MINUTE);
    await check(desk, alice.user.id, a.id!, codeA);
    const b = await start(desk, alice.user.id, email.id);
    const codeB = codeIn((await lastMessageTo(t.portal, alice.email))!.body!);
    await check(desk, alice.user.id, b.id!, wrongCode(codeB));
    await check(desk, alice.user.id, b.id!, codeB);

    const rows = await auditRows(t);
    expect(rows.map((r) => [r.event, r.outcome, JSON.parse(r.details ?? '{}').reason ?? null])).toEqual([
      ['caller_verification_started', 'success', null],
      ['caller_verification_failed', 'failure', 'expired'],
      ['caller_verification_started', 'success', null],
      ['caller_verification_failed', 'failure', 'codeWrong'],
      ['caller_verification_succeeded', 'success', null],
    ]);
    for (const r of rows) {
      expect(r.actor_id).toBe(admin.id);
      expect(r.target_id).toBe(alice.user.id);
      expect(JSON.parse(r.details ?? '{}').method).toBe('email');
    }
    const everything = JSON.stringify(await t.store.db.selectFrom('audit_events').selectAll().execute()) + JSON.stringify(await t.store.db.selectFrom('caller_verifications').selectAll().execute());
    for (const code of [codeA, codeB, wrongCode(codeB)]) expect(everything).not.toContain(code);
    expect(t.logs()).not.toContain(codeB);
  });

  it('verifies a caller with the authenticator app’s current code, which cannot be used twice', async () => {
    const { t, alice, admin, desk, methods } = await setUp({ totp: true });
    const app = methods.find((m) => m.type === 'totp')!;
    const s = await start(desk, alice.user.id, app.id);
    expect(s.location).toContain('verify=app');
    // Nothing is sent for the app.
    expect(await messagesTo(t.portal, alice.email)).toEqual([]);
    const code = currentTotp(alice.secret!, t.clock.now());
    expect(await check(desk, alice.user.id, s.id!, code)).toContain('verify=verified');
    expect(await t.portal.callerVerifications.verifiedUntil(admin.id, alice.user.id)).toBe(t.clock.now() + VERIFICATION_VALID_MS);

    // The same code a second time (read out to someone else, say) is refused: its time step is spent.
    const again = await start(desk, alice.user.id, app.id);
    expect(await check(desk, alice.user.id, again.id!, code)).toContain('verify=wrong');
  });

  it('sends the helpdesk’s code to a registered mobile by text or by call', async () => {
    const { t, alice, desk, methods } = await setUp({ mobile: '+447700900123' });
    const mobile = methods.find((m) => m.type === 'mobile')!;
    const text = await start(desk, alice.user.id, mobile.id);
    expect(text.location).toContain('verify=sent');
    const sms = await lastMessageTo(t.portal, '+447700900123');
    expect(sms?.body).toMatch(/Your helpdesk asked to confirm it is you\. Read this code to them: \d{8}\. If you did not call the helpdesk, do not share it\./);
    const call = await start(desk, alice.user.id, `${mobile.id}:voice`);
    expect(call.location).toContain('verify=sent');
    const voice = await lastMessageTo(t.portal, '+447700900123');
    expect(voice?.channel).toBe('voice');
    expect(await check(desk, alice.user.id, call.id!, codeIn(voice!.body!))).toContain('verify=verified');
  });

  it('refuses a method that is not the user’s, or cannot verify, and a user that does not exist (404)', async () => {
    const { t, alice, desk } = await setUp();
    const bob = await registered(t.portal, 'bobby');
    const bobEmail = (await t.portal.methods.list(bob.user.id))[0]!;
    expect((await start(desk, alice.user.id, bobEmail.id)).location).toContain('verify=unavailable');
    expect(await messagesTo(t.portal, bob.email)).toEqual([]);
    expect((await start(desk, alice.user.id, '')).location).toContain('verify=choose');
    expect((await desk.post('/admin/users/00000000-0000-4000-8000-000000000000/verification', { methodId: bobEmail.id })).status).toBe(404);
    expect((await auditRows(t)).filter((r) => r.outcome === 'success')).toEqual([]);
  });

  it('asks SupportAccess: a target the viewer may not act on is refused and nothing is sent; one they may not see is 404', async () => {
    const { t, alice, admin } = await setUp();
    const p = t.portal;
    const directory = new DirectoryAccess(p.users);
    // The rule the helpdesk's scope applies (support/access.ts): never an administrator; nobody outside the scope.
    const access = {
      find: async (v: Viewer, key: string) => ((await directory.find(v, key))?.username === 'hidden.user' ? null : directory.find(v, key)),
      refusal: async (_v: Viewer, target: User) => (target.roles.includes('administrator') ? ('error.forbidden.body' as const) : null),
    };
    const service = new CallerVerificationService({ db: t.store.db, access, methods: p.methods, securityInfo: p.securityInfo, audit: p.audit, clock: t.clock, t: translator('en'), codeTtlMs: 5 * MINUTE, passkeyCheck: p.passkeyCallerCheck });
    const other = await registered(p, 'other.admin', { roles: ['administrator'] });
    const hidden = await registered(p, 'hidden.user');
    const desk = { id: admin.id, name: 'root', roles: ['password_administrator'] };
    const otherEmail = (await p.methods.list(other.user.id))[0]!;
    expect(await service.start(desk, 'other.admin', { methodId: otherEmail.id })).toEqual({ ok: false, reason: 'refused', message: 'error.forbidden.body' });
    expect(await messagesTo(p, other.email)).toEqual([]);
    const hiddenEmail = (await p.methods.list(hidden.user.id))[0]!;
    expect(await service.start(desk, 'hidden.user', { methodId: hiddenEmail.id })).toMatchObject({ ok: false, reason: 'not_found' });
    expect(await messagesTo(p, hidden.email)).toEqual([]);
    // Alice is in scope and not an administrator.
    const aliceEmail = (await p.methods.list(alice.user.id))[0]!;
    expect((await service.start(desk, 'alice', { methodId: aliceEmail.id })).ok).toBe(true);
  });

  it('works the same on PostgreSQL: verified, counted for 10 minutes, for that actor', async () => {
    const t = await createTestPortal({ dialect: 'postgres', manualTime: true });
    try {
      const alice = await registered(t.portal, 'alice');
      const admin = await makeUser(t.portal, { username: 'root', password: PASSWORD, roles: ['administrator'] });
      const verifier = { id: admin.id, name: 'root', roles: ['administrator'] };
      const email = (await t.portal.methods.list(alice.user.id))[0]!;
      const started = await t.portal.callerVerifications.start(verifier, 'alice', { methodId: email.id });
      if (!started.ok) throw new Error(JSON.stringify(started));
      const code = codeIn((await lastMessageTo(t.portal, alice.email))!.body!);
      expect(await t.portal.callerVerifications.check(verifier, 'alice', started.value.id, wrongCode(code))).toMatchObject({ ok: true, value: { verified: false } });
      expect(await t.portal.callerVerifications.check(verifier, 'alice', started.value.id, code)).toMatchObject({ ok: true, value: { verified: true } });
      expect(await t.portal.callerVerifications.verifiedUntil(admin.id, alice.user.id)).toBe(t.clock.now() + VERIFICATION_VALID_MS);
      expect(await t.portal.callerVerifications.verifiedUntil('someone-else', alice.user.id)).toBeNull();
      advance(t, VERIFICATION_VALID_MS);
      expect(await t.portal.callerVerifications.verifiedUntil(admin.id, alice.user.id)).toBeNull();
    } finally {
      await t.cleanup();
    }
  });

  it('needs the console’s CSRF token', async () => {
    const { t, alice, desk, methods } = await setUp();
    const r = await desk.post(`/admin/users/${alice.user.id}/verification`, { methodId: methods[0]!.id, _csrf: 'forged' });
    expect(r.status).toBe(403);
    expect(await messagesTo(t.portal, alice.email)).toEqual([]);
  });
});
