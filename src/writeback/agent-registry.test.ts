import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestPortal, dialects, type TestPortal } from '../../test/helpers/test-portal.js';
import { newAgentKeys, type AgentKeys } from '../agent-protocol/index.js';
import type { AgentRegistry } from './agent-registry.js';

/**
 * The agent registry on a fresh store of each dialect: a registration token registers one
 * agent only (also when raced), dies at its expiry, is never stored in the clear, and bad
 * input is refused field by field without using the token up.
 */

const ADA = { id: null, name: 'ada', ip: '192.0.2.1' };
const META = { ip: '198.51.100.7' };

describe.each(dialects)('agent registry on %s', (dialect) => {
  let tp: TestPortal;
  let registry: AgentRegistry;
  let keys: AgentKeys;
  beforeEach(async () => {
    tp = await createTestPortal({ dialect, manualTime: true });
    registry = tp.portal.agents;
    keys = newAgentKeys();
  });
  afterEach(() => tp.cleanup());

  const input = (token: string, over: Record<string, unknown> = {}) => ({ token, name: 'dc-agent-1', version: '1.0.0', signingKey: keys.signingPublic, sealingKey: keys.sealingPublic, ...over });
  const audit = (event: string) => tp.store.db.selectFrom('audit_events').selectAll().where('event', '=', event).orderBy('id').execute();

  it('creates a token that is stored only as a hash, expires after the configured minutes, and is audited', async () => {
    const { token, expiresAt } = await registry.createRegistrationToken(ADA);
    expect(token).toMatch(/^sspr_agent_/);
    expect(expiresAt).toBe(tp.clock.now() + tp.config.writeback.registrationTokenMinutes * 60_000);
    const rows = await tp.store.db.selectFrom('agent_registrations').selectAll().execute();
    expect(rows).toHaveLength(1);
    expect(JSON.stringify(rows)).not.toContain(token);
    expect(JSON.stringify(rows)).not.toContain(token.slice('sspr_agent_'.length));
    const events = await audit('agent_token_created');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ outcome: 'success', actor_name: 'ada' });
    expect(JSON.stringify(events)).not.toContain(token);
  });

  it('registers an agent with its keys; it starts never seen and not revoked', async () => {
    const { token } = await registry.createRegistrationToken(ADA);
    const r = await registry.register(input(token), META);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value).toMatchObject({ name: 'dc-agent-1', version: '1.0.0', signingKey: keys.signingPublic, sealingKey: keys.sealingPublic, lastSeenAt: null, revokedAt: null, domain: null });
    expect(await registry.byId(r.value.id)).toEqual(r.value);
    expect((await registry.list()).map((a) => a.id)).toEqual([r.value.id]);
    const used = await tp.store.db.selectFrom('agent_registrations').selectAll().executeTakeFirstOrThrow();
    expect(used.agent_id).toBe(r.value.id);
    expect(Number(used.used_at)).toBe(tp.clock.now());
  });

  it('shouldn\'t allow the token to be used twice, even by 10 parallel registrations: exactly one agent', async () => {
    const { token } = await registry.createRegistrationToken(ADA);
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => registry.register(input(token, { name: `agent-${i}` }), META)));
    const ok = results.filter((r) => r.ok);
    expect(ok).toHaveLength(1);
    expect(results.filter((r) => !r.ok && r.reason === 'token')).toHaveLength(9);
    expect(await registry.list()).toHaveLength(1);
    const outcomes = (await audit('agent_registered')).map((e) => e.outcome);
    expect(outcomes.filter((o) => o === 'success')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'failure')).toHaveLength(9);
    // And later, sequentially, still no.
    expect(await registry.register(input(token, { name: 'late' }), META)).toEqual({ ok: false, reason: 'token' });
  });

  it('refuses an expired token, and one that never existed', async () => {
    const { token } = await registry.createRegistrationToken(ADA);
    tp.clock.advance!(tp.config.writeback.registrationTokenMinutes * 60_000);
    expect(await registry.register(input(token), META)).toEqual({ ok: false, reason: 'token' });
    expect(await registry.register(input('sspr_agent_' + 'x'.repeat(43)), META)).toEqual({ ok: false, reason: 'token' });
    expect(await registry.register(input(42 as unknown as string), META)).toEqual({ ok: false, reason: 'token' });
    expect(await registry.list()).toEqual([]);
  });

  it('a token used one millisecond before its expiry still works', async () => {
    const { token } = await registry.createRegistrationToken(ADA);
    tp.clock.advance!(tp.config.writeback.registrationTokenMinutes * 60_000 - 1);
    expect((await registry.register(input(token), META)).ok).toBe(true);
  });

  it('refuses malformed input field by field, and does not use the token up', async () => {
    const { token } = await registry.createRegistrationToken(ADA);
    const other = newAgentKeys();
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ name: '' }, 'name'],
      [{ name: 'x'.repeat(101) }, 'name'],
      [{ name: 'agent; rm -rf /' }, 'name'],
      [{ name: 7 }, 'name'],
      [{ version: 'v'.repeat(41) }, 'version'],
      [{ version: null }, 'version'],
      // Wrong key type: an x25519 key where the ed25519 signing key belongs, and the other way round.
      [{ signingKey: other.sealingPublic }, 'signingKey'],
      [{ sealingKey: other.signingPublic }, 'sealingKey'],
      // A private key is not a public key.
      [{ signingKey: other.signingPrivate }, 'signingKey'],
      [{ sealingKey: 'bm90IGEga2V5' }, 'sealingKey'],
      [{ sealingKey: 'A'.repeat(201) }, 'sealingKey'],
      [{ signingKey: undefined }, 'signingKey'],
    ];
    for (const [over, field] of cases) {
      expect(await registry.register(input(token, over), META), JSON.stringify(over)).toEqual({ ok: false, reason: 'invalid', field });
    }
    expect(await registry.list()).toEqual([]);
    // Nothing above touched the token: the correct request still registers.
    expect((await registry.register(input(token), META)).ok).toBe(true);
  });

  it('revokes once: the second revoke answers false and is not audited again', async () => {
    const { token } = await registry.createRegistrationToken(ADA);
    const r = await registry.register(input(token), META);
    if (!r.ok) throw new Error('registration failed');
    expect(await registry.revoke(ADA, r.value.id)).toBe(true);
    tp.clock.advance!(1000);
    expect(await registry.revoke(ADA, r.value.id)).toBe(false);
    const agent = await registry.byId(r.value.id);
    expect(agent?.revokedAt).toBe(tp.clock.now() - 1000);
    const events = await audit('agent_revoked');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ outcome: 'success', actor_name: 'ada', target_id: r.value.id });
    expect(await registry.revoke(ADA, 'no-such-agent')).toBe(false);
  });

  it('byId of an over-long id is null without asking the store', async () => {
    expect(await registry.byId('x'.repeat(65))).toBeNull();
  });

  it('housekeeping deletes finished writeback jobs past the retention, finished reads after a day, and never a pending or taken job', async () => {
    const user = await tp.portal.users.create({ username: 'hy', displayName: 'Hy', email: null, roles: ['user'], passwordHash: null, source: 'onprem', anchor: '8a4f2c1e-0000-4000-8000-000000000001' });
    const now = tp.clock.now();
    const DAY = 86_400_000;
    const job = (id: string, kind: 'reset' | 'bind' | 'policy', status: 'pending' | 'taken' | 'applied' | 'failed' | 'expired', ageDays: number) => {
      const at = now - ageDays * DAY;
      return { id, kind, user_id: user.id, status, agent_id: null, created_at: at, expires_at: at + 60_000, taken_at: null, finished_at: status === 'pending' || status === 'taken' ? null : at, verdict: null, detail: null };
    };
    await tp.store.db
      .insertInto('writeback_jobs')
      .values([
        job('reset-old', 'reset', 'applied', 400),
        job('reset-failed-old', 'reset', 'failed', 366),
        job('reset-expired-old', 'reset', 'expired', 370),
        job('reset-recent', 'reset', 'applied', 30),
        job('bind-2d', 'bind', 'applied', 2),
        job('policy-2d', 'policy', 'failed', 2),
        job('bind-1h', 'bind', 'applied', 1 / 24),
        job('taken-old', 'reset', 'taken', 500),
        job('pending-old', 'reset', 'pending', 500),
      ])
      .execute();
    expect(await tp.portal.agentHub.prune(now, 365)).toBe(5);
    const left = await tp.store.db.selectFrom('writeback_jobs').select('id').orderBy('id').execute();
    expect(left.map((r) => r.id)).toEqual(['bind-1h', 'pending-old', 'reset-recent', 'taken-old']);
  });
});
