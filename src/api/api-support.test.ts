import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApiSandbox, expectError, type ApiSandbox } from '../../test/helpers/api-sandbox.js';
import { messagesTo } from '../../test/helpers/outbox.js';
import { en } from '../i18n/en.js';
import { throttleKeys } from '../state/throttle-keys.js';
import { lockRemaining } from '../state/lockout.js';
import { nameKey } from '../directory/names.js';

/** The support actions over the JSON API: write scope, a reason in the body, the console's checks and audit, never a link or an address in the answer. */

let s: ApiSandbox;
beforeEach(async () => {
  s = await createApiSandbox();
});
afterEach(async () => {
  await s.tp.cleanup();
});

const ADDRESS = 'alice.private@mail.test';
const CLEAR_LOCKOUT_TITLE = en['mail.support.clearLockout.title'];

async function aliceWithEmail() {
  const alice = (await s.tp.portal.users.byUsername('alice'))!;
  const m = await s.tp.portal.methods.addContact(alice.id, 'email', ADDRESS);
  await s.tp.portal.methods.confirm(alice.id, m.id);
  return { alice, methodId: m.id };
}

describe('support actions over the API', () => {
  it('every support action is audited with the actor and the typed reason, and notified to the user (API)', async () => {
    const { alice, methodId } = await aliceWithEmail();
    expect((await s.tp.portal.policy.update({ id: null, name: 'test' }, { helpdesk: { requireVerification: false } })).ok).toBe(true);
    const calls: Array<[string, string, Record<string, string>, string]> = [
      ['POST', '/users/alice/unblock', { reason: 'Ticket 1 unblock' }, 'support_self_service_unblocked'],
      ['POST', '/users/alice/require-registration', { reason: 'Ticket 2 re-enrol' }, 'support_reregistration_required'],
      ['DELETE', '/users/alice/sessions', { reason: 'Ticket 3 sessions' }, 'support_sessions_ended'],
      ['POST', '/users/alice/reset-link', { reason: 'Ticket 4 link', methodId }, 'support_reset_link_sent'],
      ['DELETE', `/users/alice/methods/${methodId}`, { reason: 'Ticket 5 lost' }, 'support_method_removed'],
    ];
    for (const [method, path, body, event] of calls) {
      const a = await s.call(method, path, { token: s.writeToken, body });
      expect(a.status, `${path} ${a.text}`).toBe(200);
      expect(a.json.user).toBe('alice');
      // Never the link or the address.
      expect(a.text).not.toContain(ADDRESS);
      expect(a.text).not.toContain('/reset/link/');
      const row = await s.tp.store.db.selectFrom('audit_events').selectAll().where('event', '=', event).executeTakeFirstOrThrow();
      expect(row.actor_name).toBe('api:ci-sync');
      expect(row.target_id).toBe(alice.id);
      expect(JSON.parse(row.details)).toMatchObject({ note: body['reason'] });
    }
    const link = await s.call('POST', '/users/alice/reset-link', { token: s.writeToken, body: { reason: 'Method is gone', methodId } });
    expectError(link, 404, 'not_found');
    const subjects = (await messagesTo(s.tp.portal, 'alice@example.com')).map((m) => m.subject ?? '');
    for (const title of ['unblocked self-service', 'register your security info again', 'signed you out everywhere', 'sent you a reset link', 'removed a method']) expect(subjects.some((x) => x.includes(title)), title).toBe(true);
  });

  it('clears a sign-in lockout and refuses the AD unlock for a cloud user (API)', async () => {
    const alice = (await s.tp.portal.users.byUsername('alice'))!;
    const key = throttleKeys.signInUser(nameKey('alice'));
    const policy = { threshold: 1, baseMs: 3_600_000, growth: 1, maxMs: 3_600_000, windowMs: 3_600_000 };
    await s.tp.portal.throttle.recordFailure(key, policy);
    expect(lockRemaining(await s.tp.portal.throttle.get(key), s.tp.clock.now())).toBeGreaterThan(0);
    const a = await s.call('POST', '/users/alice/clear-lockout', { token: s.writeToken, body: { reason: 'Ticket 6 lockout' } });
    expect(a.status, a.text).toBe(200);
    expect(lockRemaining(await s.tp.portal.throttle.get(key), s.tp.clock.now())).toBe(0);
    const row = await s.tp.store.db.selectFrom('audit_events').selectAll().where('event', '=', 'support_sign_in_unlocked').executeTakeFirstOrThrow();
    expect([row.actor_name, row.target_id, JSON.parse(row.details).note]).toEqual(['api:ci-sync', alice.id, 'Ticket 6 lockout']);
    expect((await messagesTo(s.tp.portal, 'alice@example.com')).some((m) => (m.subject ?? '').includes(CLEAR_LOCKOUT_TITLE))).toBe(true);
    // Unlock in AD is for hybrid users only: a cloud user is refused in plain words, nothing changes.
    expect((await s.tp.portal.policy.update({ id: null, name: 'test' }, { helpdesk: { requireVerification: false } })).ok).toBe(true);
    const before = await s.state();
    const u = await s.call('POST', '/users/alice/unlock', { token: s.writeToken, body: { reason: 'Ticket 7 unlock' } });
    expectError(u, 422, 'refused');
    // Nothing changed; the refused attempt is itself in the audit log, as a failure.
    const after = JSON.parse(await s.state()) as { audit: Array<{ event: string; outcome: string }> };
    expect(after.audit.at(-1)).toMatchObject({ event: 'support_ad_unlocked', outcome: 'failure' });
    expect(JSON.stringify({ ...after, audit: after.audit.slice(0, -1) })).toBe(before);
  });

  it('a support action without a reason changes nothing (API)', async () => {
    const { methodId } = await aliceWithEmail();
    const before = await s.state();
    for (const [method, path, extra] of [
      ['POST', '/users/alice/unblock', {}],
      ['POST', '/users/alice/clear-lockout', {}],
      ['POST', '/users/alice/unlock', {}],
      ['POST', '/users/alice/require-registration', {}],
      ['DELETE', '/users/alice/sessions', {}],
      ['DELETE', `/users/alice/methods/${methodId}`, {}],
      ['POST', '/users/alice/reset-link', { methodId }],
    ] as Array<[string, string, Record<string, string>]>) {
      for (const body of [{ ...extra }, { ...extra, reason: 'no' }, { ...extra, reason: 'tab\there' }, { ...extra, reason: 'x'.repeat(201) }]) {
        const a = await s.call(method, path, { token: s.writeToken, body });
        expectError(a, 400, 'invalid_input');
        expect(Object.keys(a.json.error.fields)).toEqual(['reason']);
      }
      // A read token is refused before the body is looked at.
      expectError(await s.call(method, path, { token: s.readToken, body: { ...extra, reason: 'Valid reason' } }), 403, 'forbidden');
      expectError(await s.call(method, path.replace('alice', 'nobody'), { token: s.writeToken, body: { ...extra, reason: 'Valid reason' } }), 404, 'not_found');
    }
    expect(await s.state()).toBe(before);
    expect(await s.tp.portal.methods.get((await s.tp.portal.users.byUsername('alice'))!.id, methodId)).not.toBeNull();
  });

  it('a token has no caller to verify: with requireVerification on the reset link is refused and says so', async () => {
    const { methodId } = await aliceWithEmail();
    const before = await s.state();
    const a = await s.call('POST', '/users/alice/reset-link', { token: s.writeToken, body: { reason: 'Caller asked', methodId } });
    expectError(a, 422, 'refused');
    expect(a.json.error.message).toContain('no caller to verify');
    expect(await s.state()).toBe(before);
    expect(await messagesTo(s.tp.portal, ADDRESS)).toEqual([]);
  });

  it("require-change: cloud users refused in words, a hybrid user's goes to the agent (none connected: refused in words, audited as a failure, nothing changed); bad bodies refused", async () => {
    const cloud = await s.call('POST', '/users/alice/require-change', { token: s.writeToken, body: {} });
    expectError(cloud, 422, 'refused');
    expect(cloud.json.error.message).toBe(en['users.refuse.notOnprem']);
    await s.tp.portal.users.create({ username: 'hy.brid', displayName: 'Hy Brid', email: null, source: 'onprem', anchor: 'c0ffee00-0000-4000-8000-000000000002', roles: [], passwordHash: null });
    const hybrid = await s.call('POST', '/users/hy.brid/require-change', { token: s.writeToken, body: { mustChange: true } });
    expectError(hybrid, 422, 'refused');
    expect(hybrid.json.error.message).toMatch(/not reachable right now\. Nothing was changed/);
    const audit = await s.tp.store.db.selectFrom('audit_events').select(['event', 'outcome', 'actor_name']).where('event', '=', 'must_change_set_by_admin').execute();
    expect(audit).toEqual([{ event: 'must_change_set_by_admin', outcome: 'failure', actor_name: 'api:ci-sync' }]);
    expectError(await s.call('POST', '/users/hy.brid/require-change', { token: s.writeToken, body: { mustChange: 'yes' } }), 400, 'invalid_input');
    expectError(await s.call('POST', '/users/hy.brid/require-change', { token: s.writeToken, body: { other: 1 } }), 400, 'invalid_input');
    expectError(await s.call('POST', '/users/nobody/require-change', { token: s.writeToken, body: {} }), 404, 'not_found');
  });
});
