import { describe, expect, it } from 'vitest';
import { useCliSandbox } from '../../test/helpers/cli.js';
import { EXIT } from './context.js';

/** `sspr user unblock` and `sspr user show`: an operator turns self-service back on after a "this wasn't me" report. */

const sb = useCliSandbox('sspr-cli-unblock-');
const { run: sspr, ok } = sb;

describe('user unblock', () => {
  it('shows the block, lifts it once (audited as the CLI), and refuses when there is nothing to lift', async () => {
    await ok(['user', 'add', 'alice', '--display-name', 'Alice', '--email', 'alice@example.com', '--password-stdin'], { stdin: ['wonderland 1865\n'] });
    await sb.withPortal(async (portal) => {
      const alice = (await portal.users.byUsername('alice'))!;
      await portal.selfServiceBlocks.block(alice.id, { event: 'password_reset', eventAt: Date.UTC(2026, 0, 2, 9, 30) });
    });
    expect(await ok(['user', 'show', 'alice'])).toMatch(/^self-service: off since .+ \(reported "this wasn't me" for password_reset; sspr user unblock alice\)$/m);

    expect(await ok(['user', 'unblock', 'alice'])).toBe('Self-service is on again for alice.\n');
    expect(await ok(['user', 'show', 'alice'])).not.toContain('self-service:');
    const audit = await sb.withPortal((portal) => portal.store.db.selectFrom('audit_events').select(['actor_name', 'target_name']).where('event', '=', 'self_service_unblocked').execute());
    expect(audit).toEqual([{ actor_name: 'cli', target_name: 'alice' }]);

    const again = await sspr(['user', 'unblock', 'alice']);
    expect(again.code).toBe(EXIT.refused);
    expect(again.stderr).toBe('error: Self-service is not turned off for this user.\n');
    const nobody = await sspr(['user', 'unblock', 'nobody']);
    expect(nobody.code).toBe(EXIT.notFound);
  });
});
