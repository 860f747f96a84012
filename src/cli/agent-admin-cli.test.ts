import { describe, expect, it } from 'vitest';
import { useCliSandbox } from '../../test/helpers/cli.js';
import { newAgentKeys } from '../agent-protocol/index.js';
import { systemClock } from '../shared/clock.js';
import { AgentPresence } from '../writeback/agent-presence.js';
import { EXIT } from './context.js';

/** `sspr agent token|list|revoke` in-process over a real SQLite file: the Agents page on the command line. */

const sb = useCliSandbox('sspr-agent-admin-');
const { run: sspr, ok } = sb;

/** Registers an agent with a token the CLI printed, as `sspr agent register` would over HTTPS. */
async function registerWith(token: string, name: string): Promise<string> {
  const keys = newAgentKeys();
  return sb.withPortal(async (portal) => {
    const r = await portal.agents.register({ token, name, version: '1.2.3', signingKey: keys.signingPublic, sealingKey: keys.sealingPublic }, { ip: '127.0.0.1' });
    if (!r.ok) throw new Error(`registration refused: ${r.reason}`);
    return r.value.id;
  });
}
const tokenOf = (out: string) => /^Token: (sspr_agent_\S+)$/m.exec(out)![1]!;

describe('sspr agent token, list, revoke', () => {
  it('token prints a one-time token with the register command for the agent machine; it registers one agent only', async () => {
    const out = await ok(['agent', 'token']);
    const token = tokenOf(out);
    expect(out).toContain(`sspr agent register --portal http://localhost:8080 --token ${token}`);
    expect(out).toMatch(/expires at \d{4}-\d\d-\d\dT/);
    await registerWith(token, 'dc1-agent');
    await expect(registerWith(token, 'second')).rejects.toThrow('registration refused: token');
    const stored = await sb.withPortal((portal) => portal.store.db.selectFrom('agent_registrations').selectAll().execute());
    expect(JSON.stringify(stored)).not.toContain(token);
    const audit = await sb.withPortal((portal) => portal.store.db.selectFrom('audit_events').select(['event', 'actor_name']).where('event', '=', 'agent_token_created').execute());
    expect(audit).toEqual([{ event: 'agent_token_created', actor_name: 'cli' }]);
  });

  it('list shows each agent with its state and the instance holding its connection; --json the same', async () => {
    expect(await ok(['agent', 'list'])).toContain('No agent is registered.');
    const one = await registerWith(tokenOf(await ok(['agent', 'token'])), 'dc1-agent');
    const two = await registerWith(tokenOf(await ok(['agent', 'token'])), 'dc2-agent');
    await sb.withPortal((portal) => new AgentPresence(portal.store, systemClock, 'portal-a').connected(one));
    const rows = (await ok(['agent', 'list'])).trim().split('\n').map((l) => l.split('\t'));
    expect(rows.map((r) => [r[0], r[1], r[2], r[4], r[5]]).sort()).toEqual(
      [
        [one, 'dc1-agent', 'connected', '1.2.3', 'portal-a'],
        [two, 'dc2-agent', 'not connected', '1.2.3', '-'],
      ].sort(),
    );
    const json = JSON.parse(await ok(['agent', 'list', '--json'])) as Array<{ name: string; state: string; instance: string | null }>;
    expect(json.map((a) => [a.name, a.state, a.instance]).sort()).toEqual([
      ['dc1-agent', 'connected', 'portal-a'],
      ['dc2-agent', 'not connected', null],
    ]);
  });

  it('revoke by name or id; an unknown name is exit 4, a name two agents share asks for the id (exit 2), nothing else changes', async () => {
    const one = await registerWith(tokenOf(await ok(['agent', 'token'])), 'dc-agent');
    const two = await registerWith(tokenOf(await ok(['agent', 'token'])), 'dc-agent');
    const three = await registerWith(tokenOf(await ok(['agent', 'token'])), 'branch-agent');
    const ambiguous = await sspr(['agent', 'revoke', 'dc-agent']);
    expect(ambiguous.code).toBe(EXIT.usage);
    expect(ambiguous.stderr).toContain('2 agents are named dc-agent; give the id');
    expect(await sspr(['agent', 'revoke', 'nosuch'])).toMatchObject({ code: EXIT.notFound, stdout: '' });
    expect(await ok(['agent', 'revoke', 'BRANCH-agent'])).toContain(`Revoked agent branch-agent (${three}).`);
    expect(await ok(['agent', 'revoke', one])).toContain(`Revoked agent dc-agent (${one}).`);
    expect((await sspr(['agent', 'revoke', one])).code).toBe(EXIT.notFound);
    const states = (await ok(['agent', 'list'])).trim().split('\n').map((l) => l.split('\t')).map((r) => [r[0], r[2]]);
    expect(states.sort()).toEqual([[one, 'revoked'], [two, 'not connected'], [three, 'revoked']].sort());
    const audit = await sb.withPortal((portal) => portal.store.db.selectFrom('audit_events').select(['event', 'actor_name', 'target_name']).where('event', '=', 'agent_revoked').execute());
    expect(audit).toEqual([
      { event: 'agent_revoked', actor_name: 'cli', target_name: 'branch-agent' },
      { event: 'agent_revoked', actor_name: 'cli', target_name: 'dc-agent' },
    ]);
  });
});
