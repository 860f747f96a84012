import { describe, expect, it } from 'vitest';
import { useCliSandbox } from '../../test/helpers/cli.js';
import { nameKey } from '../directory/names.js';
import { throttleKeys } from '../state/throttle-keys.js';
import { EXIT } from './context.js';

/**
 * `sspr user unblock` and `sspr user show`: an operator unblocks self-service (the counters and a
 * "this wasn't me" block) with a reason; `sspr user require-registration` has the user register again.
 */

const sb = useCliSandbox('sspr-cli-unblock-');
const { run: sspr, ok } = sb;

describe('user unblock', () => {
  it('shows the block, lifts it with the counters (audited as the CLI with the reason), and needs a reason', async () => {
    await ok(['user', 'add', 'alice', '--display-name', 'Alice', '--email', 'alice@example.com', '--password-stdin'], { stdin: ['wonderland 1865\n'] });
    await sb.withPortal(async (portal) => {
      const alice = (await portal.users.byUsername('alice'))!;
      await portal.selfServiceBlocks.block(alice.id, { event: 'password_reset', eventAt: Date.UTC(2026, 0, 2, 9, 30) });
      await portal.throttle.recordFailure(throttleKeys.verifyFailures(alice.id), portal.securityInfoLimits.verifyFailures);
    });
    expect(await ok(['user', 'show', 'alice'])).toMatch(/^self-service: off since .+ \(reported "this wasn't me" for password_reset; sspr user unblock alice --reason …\)$/m);

    // Without a reason (or with one too short) nothing changes.
    for (const args of [[], ['--reason', 'no']]) {
      const bad = await sspr(['user', 'unblock', 'alice', ...args]);
      expect(bad.code).toBe(EXIT.usage);
      expect(bad.stderr).toBe('error: --reason: Type a reason for this action (at least 3 characters).\n');
    }
    expect(await ok(['user', 'show', 'alice'])).toContain('self-service: off');

    expect(await ok(['user', 'unblock', 'alice', '--reason', 'Checked with Alice by phone'])).toBe('Self-service is unblocked for alice; they were told by email.\n');
    expect(await ok(['user', 'show', 'alice'])).not.toContain('self-service:');
    const state = await sb.withPortal(async (portal) => {
      const alice = (await portal.users.byUsername('alice'))!;
      const audit = await portal.store.db.selectFrom('audit_events').select(['actor_name', 'target_name', 'details']).where('event', '=', 'support_self_service_unblocked').execute();
      return { failures: (await portal.throttle.get(throttleKeys.verifyFailures(alice.id))).failures, audit };
    });
    expect(state.failures).toBe(0);
    expect(state.audit.map((a) => ({ ...a, details: JSON.parse(a.details) as unknown }))).toEqual([
      { actor_name: 'cli', target_name: 'alice', details: { note: 'Checked with Alice by phone', countersCleared: true, notMeBlockLifted: true } },
    ]);

    const nobody = await sspr(['user', 'unblock', 'nobody', '--reason', 'Valid reason']);
    expect(nobody.code).toBe(EXIT.notFound);
  });

  it('require-registration needs a reason and sets the flag with it (the sign-in part: src/support/support-actions.test.ts)', async () => {
    await ok(['user', 'add', 'alice', '--display-name', 'Alice', '--email', 'alice@example.com', '--password-stdin'], { stdin: ['wonderland 1865\n'] });
    const bad = await sspr(['user', 'require-registration', 'alice']);
    expect(bad.code).toBe(EXIT.usage);
    expect(await sb.withPortal(async (portal) => portal.reregistrations.get((await portal.users.byUsername('alice'))!.id))).toBeNull();
    expect(await ok(['user', 'require-registration', 'alice', '--reason', 'Lost phone, ticket 7'])).toContain('Re-registration is required for alice');
    const flag = await sb.withPortal(async (portal) => portal.reregistrations.get((await portal.users.byUsername('alice'))!.id));
    expect(flag).toMatchObject({ requiredBy: 'cli', methodsRemovedAt: null });
    expect((await sspr(['user', 'require-registration', 'nobody', '--reason', 'Valid reason'])).code).toBe(EXIT.notFound);
  });

  it("unlock clears a cloud user's sign-in lockout (audited with the reason, the user told); a hybrid user's goes to AD and is refused in words when it cannot be done", async () => {
    await ok(['user', 'add', 'alice', '--display-name', 'Alice', '--email', 'alice@example.com', '--password-stdin'], { stdin: ['wonderland 1865\n'] });
    const lockout = { threshold: 1, baseMs: 60_000, growth: 2, maxMs: 3_600_000, windowMs: 3_600_000 };
    const locked = () => sb.withPortal(async (portal) => (await portal.throttle.get(throttleKeys.signInUser(nameKey('alice')))).lockedUntil > Date.now());
    await sb.withPortal((portal) => portal.throttle.recordFailure(throttleKeys.signInUser(nameKey('alice')), lockout));
    expect(await locked()).toBe(true);
    // No reason: refused, nothing changed.
    expect((await sspr(['user', 'unlock', 'alice'])).code).toBe(EXIT.usage);
    expect(await locked()).toBe(true);

    expect(await ok(['user', 'unlock', 'alice', '--reason', 'Locked out, ticket 12'])).toBe('The sign-in lockout of alice is cleared: they can sign in again now; they were told by email.\n');
    expect(await locked()).toBe(false);
    const audit = await sb.withPortal((portal) => portal.store.db.selectFrom('audit_events').select(['actor_name', 'target_name', 'details']).where('event', '=', 'support_sign_in_unlocked').execute());
    expect(audit.map((a) => ({ ...a, details: JSON.parse(a.details) as unknown }))).toEqual([{ actor_name: 'cli', target_name: 'alice', details: { note: 'Locked out, ticket 12' } }]);
    expect(await ok(['user', 'clear-lockout', 'alice', '--reason', 'Second ticket 13'])).toContain('The sign-in lockout of alice is cleared');

    // A hybrid user: agents connect to the running portal, which the command line reaches only on PostgreSQL; on SQLite it says where to go, and nothing changes.
    await sb.withPortal((portal) => portal.users.create({ username: 'hy.brid', displayName: 'Hy Brid', email: 'hy@example.com', source: 'onprem', anchor: 'c0ffee00-0000-4000-8000-000000000001', roles: [], passwordHash: null }));
    const noAgent = await sspr(['user', 'unlock', 'hy.brid', '--reason', 'Locked out in AD']);
    expect(noAgent.code).toBe(EXIT.refused);
    expect(noAgent.stderr).toBe('error: hy.brid is in Active Directory, and the command line cannot reach the agent with the embedded SQLite store: use the admin console (Users, then hy.brid) or the API of the running portal (/api/v1/users/hy.brid/…). Nothing was changed.\n');
    const unlockEvents = await sb.withPortal((portal) => portal.store.db.selectFrom('audit_events').select('event').where('event', 'in', ['support_ad_unlocked', 'account_unlocked_by_admin']).execute());
    expect(unlockEvents).toEqual([]);
    expect((await sspr(['user', 'unlock', 'nobody', '--reason', 'Valid reason'])).code).toBe(EXIT.notFound);

    // require-change: for users from AD only (said in words); a hybrid user's as unlock's.
    const cloud = await sspr(['user', 'require-change', 'alice']);
    expect(cloud).toMatchObject({ code: EXIT.refused, stderr: 'error: This action is for users from Active Directory only.\n' });
    const noAgentChange = await sspr(['user', 'require-change', 'hy.brid']);
    expect(noAgentChange.code).toBe(EXIT.refused);
    expect(noAgentChange.stderr).toBe(noAgent.stderr);
    expect((await sspr(['user', 'require-change', 'nobody', '--off'])).code).toBe(EXIT.notFound);
  });
});
