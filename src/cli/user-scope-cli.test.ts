import { describe, expect, it } from 'vitest';
import { useCliSandbox } from '../../test/helpers/cli.js';
import { EXIT } from './context.js';

/** `sspr user scope`: shows and sets a helpdesk user's scope, with the console's validation, audit and exit codes. */

const sb = useCliSandbox('sspr-scope-');
const { run: sspr, ok } = sb;

describe('user scope', () => {
  it('shows, sets (groups by name, OUs as DNs) and clears a helpdesk user\'s scope; audited; bad input changes nothing', async () => {
    await ok(['user', 'add', 'desk', '--display-name', 'Desk', '--role', 'password_administrator']);
    await ok(['user', 'add', 'alice', '--display-name', 'Alice']);
    await ok(['group', 'add', 'Sales']);
    expect(await ok(['user', 'scope', 'desk'])).toBe('all users\n');

    expect(await ok(['user', 'scope', 'desk', '--group', 'Sales', '--ou', 'OU=Berlin, DC=corp,DC=example'])).toBe('Helpdesk scope of desk: group Sales; ou OU=Berlin,DC=corp,DC=example\n');
    expect(await ok(['user', 'scope', 'desk'])).toBe('group\tSales\nou\tOU=Berlin,DC=corp,DC=example\n');

    const badOu = await sspr(['user', 'scope', 'desk', '--ou', 'Berlin office']);
    expect(badOu.code).toBe(EXIT.usage);
    expect(badOu.stderr).toContain('error: --ou: Enter each OU as a distinguished name');
    const badGroup = await sspr(['user', 'scope', 'desk', '--group', 'Nope']);
    expect(badGroup.code).toBe(EXIT.usage);
    expect(badGroup.stderr).toContain('no group named Nope');
    const both = await sspr(['user', 'scope', 'desk', '--clear', '--group', 'Sales']);
    expect(both.code).toBe(EXIT.usage);
    expect(await ok(['user', 'scope', 'desk'])).toBe('group\tSales\nou\tOU=Berlin,DC=corp,DC=example\n');

    const notHelpdesk = await sspr(['user', 'scope', 'alice', '--group', 'Sales']);
    expect(notHelpdesk.code).toBe(EXIT.refused);
    expect(notHelpdesk.stderr).toContain('Only a helpdesk user');
    expect((await sspr(['user', 'scope', 'nobody'])).code).toBe(EXIT.notFound);

    expect(await ok(['user', 'scope', 'desk', '--clear'])).toBe('Helpdesk scope of desk: all users\n');
    await sb.withPortal(async (portal) => {
      const events = await portal.store.db.selectFrom('audit_events').select(['actor_name', 'details']).where('event', '=', 'helpdesk_scope_changed').orderBy('at').execute();
      expect(events.map((e) => [e.actor_name, JSON.parse(e.details) as unknown])).toEqual([
        ['cli', { before: 'all users', after: 'group:Sales; ou:OU=Berlin,DC=corp,DC=example' }],
        ['cli', { before: 'group:Sales; ou:OU=Berlin,DC=corp,DC=example', after: 'all users' }],
      ]);
    });
  });
});
