import { describe, expect, it } from 'vitest';
import { PEER, expectError, useApiSandbox } from '../../test/helpers/api-sandbox.js';

/** Groups over the JSON API: the same rules as the console, each change audited with the token as the actor. */
describe('JSON API: groups', () => {
  // sb() is this test's own sandbox (a new one for every test).
  const { call, current: sb } = useApiSandbox();
  const groupNames = async () => (await sb().tp.portal.groups.list()).map((g) => g.name);

  it('creates a group (201 with Location), shows it with its members, and refuses a duplicate name in any case (409)', async () => {
    const a = await call('POST', '/groups', { token: sb().writeToken, body: { name: 'Finance', description: 'The finance team' } });
    expect(a.status, a.text).toBe(201);
    expect(a.res.headers.get('location')).toBe('/api/v1/groups/Finance');
    expect(a.json).toMatchObject({ name: 'Finance', description: 'The finance team', source: 'cloud', directMembers: 0, members: [] });
    const staff = await call('GET', '/groups/staff', { token: sb().readToken });
    expect(staff.status).toBe(200);
    expect(staff.json).toMatchObject({ name: 'Staff', directMembers: 1, members: [{ type: 'user', name: 'alice', displayName: 'Alice Andersen' }] });
    expectError(await call('POST', '/groups', { token: sb().writeToken, body: { name: 'FINANCE' } }), 409, 'conflict');
    expectError(await call('GET', '/groups/nobody-has-this', { token: sb().readToken }), 404, 'not_found');
    expect(await groupNames()).toEqual(['Finance', 'Staff']);
  });

  it('bad input is refused field by field and creates nothing', async () => {
    const before = await groupNames();
    const empty = await call('POST', '/groups', { token: sb().writeToken, body: { name: '   ' } });
    expectError(empty, 400, 'invalid_input');
    expect(Object.keys(empty.json.error.fields)).toEqual(['name']);
    expectError(await call('POST', '/groups', { token: sb().writeToken, body: { name: 'Ok', extra: 1 } }), 400, 'invalid_input');
    expectError(await call('POST', '/groups/Staff/members', { token: sb().writeToken, body: { type: 'robot', name: 'x' } }), 400, 'invalid_input');
    expect(await groupNames()).toEqual(before);
  });

  it('renames a group; the policy that chose it keeps choosing it, and a name already taken is refused (409)', async () => {
    const staff = (await sb().tp.portal.groups.byName('Staff'))!;
    expect((await call('PATCH', '/policy', { token: sb().writeToken, body: { policy: { enabledFor: 'selected', groups: [staff.id] } } })).status).toBe(200);
    const r = await call('PATCH', '/groups/Staff', { token: sb().writeToken, body: { name: 'Everyone' } });
    expect(r.status, r.text).toBe(200);
    expect(r.json).toMatchObject({ id: staff.id, name: 'Everyone' });
    expect(r.res.headers.get('location')).toBe('/api/v1/groups/Everyone');
    expect((await sb().tp.portal.policy.current()).policy.groups).toEqual([staff.id]);
    await call('POST', '/groups', { token: sb().writeToken, body: { name: 'Finance' } });
    expectError(await call('PATCH', '/groups/Finance', { token: sb().writeToken, body: { name: 'everyone' } }), 409, 'conflict');
    expect(await groupNames()).toEqual(['Everyone', 'Finance']);
    const audit = await sb().tp.store.db.selectFrom('audit_events').selectAll().where('event', '=', 'group_renamed').execute();
    expect(audit.map((e) => [e.actor_name, e.target_name, e.ip, JSON.parse(e.details ?? '{}')])).toEqual([['api:ci-sync', 'Everyone', PEER, { from: 'Staff', to: 'Everyone' }]]);
  });

  it('deletes a group with its memberships, but not one the policy uses (422) and not one synced from AD (422)', async () => {
    const staff = (await sb().tp.portal.groups.byName('Staff'))!;
    const parent = await call('POST', '/groups', { token: sb().writeToken, body: { name: 'Parent' } });
    expect((await call('POST', '/groups/Parent/members', { token: sb().writeToken, body: { type: 'group', name: 'Staff' } })).json.members).toEqual([{ type: 'group', name: 'Staff', displayName: 'Staff' }]);
    expect(parent.status).toBe(201);
    await call('PATCH', '/policy', { token: sb().writeToken, body: { policy: { enabledFor: 'selected', groups: [staff.id] } } });
    const refused = await call('DELETE', '/groups/Staff', { token: sb().writeToken });
    expectError(refused, 422, 'refused');
    expect(refused.json.error.message).toContain('Take it out of the policy first');
    expect(await groupNames()).toEqual(['Parent', 'Staff']);

    await call('PATCH', '/policy', { token: sb().writeToken, body: { policy: { enabledFor: 'all', groups: [] } } });
    const deleted = await call('DELETE', '/groups/Staff', { token: sb().writeToken });
    expect(deleted.status, deleted.text).toBe(204);
    expect(await groupNames()).toEqual(['Parent']);
    expect((await call('GET', '/groups/Parent', { token: sb().readToken })).json).toMatchObject({ directMembers: 0, members: [] });
    const alice = (await sb().tp.portal.users.byUsername('alice'))!;
    expect(await sb().tp.portal.groups.groupsOfUser(alice.id)).toEqual([]);
    expect(await sb().tp.portal.users.byUsername('alice')).not.toBeNull();
    const audit = await sb().tp.store.db.selectFrom('audit_events').selectAll().where('event', '=', 'group_deleted').execute();
    expect(audit.map((e) => [e.actor_name, e.target_name, JSON.parse(e.details ?? '{}')])).toEqual([['api:ci-sync', 'Staff', { members: '1' }]]);

    await sb().tp.portal.groups.create({ name: 'Domain Staff', source: 'onprem', anchor: 'guid-1' });
    const synced = await call('DELETE', '/groups/Domain%20Staff', { token: sb().writeToken });
    expectError(synced, 422, 'refused');
    expect(synced.json.error.message).toContain('comes from Active Directory');
    expectError(await call('PATCH', '/groups/Domain%20Staff', { token: sb().writeToken, body: { name: 'Other' } }), 422, 'refused');
    expect(await groupNames()).toEqual(['Domain Staff', 'Parent']);
  });

  it('adds and removes users and nested groups; an existing member (409), itself (422) and an unknown member (400 to add, 404 to remove) are refused', async () => {
    const added = await call('POST', '/groups/Staff/members', { token: sb().writeToken, body: { type: 'user', name: 'BOB' } });
    expect(added.status, added.text).toBe(200);
    expect(added.json.members.map((m: { name: string }) => m.name)).toEqual(['alice', 'bob']);
    expectError(await call('POST', '/groups/Staff/members', { token: sb().writeToken, body: { type: 'user', name: 'bob' } }), 409, 'conflict');
    expectError(await call('POST', '/groups/Staff/members', { token: sb().writeToken, body: { type: 'group', name: 'Staff' } }), 422, 'refused');
    expectError(await call('POST', '/groups/Staff/members', { token: sb().writeToken, body: { type: 'user', name: 'nobody' } }), 400, 'invalid_input');
    const removed = await call('DELETE', '/groups/Staff/members/user/alice', { token: sb().writeToken });
    expect(removed.status, removed.text).toBe(200);
    expect(removed.json.members.map((m: { name: string }) => m.name)).toEqual(['bob']);
    expectError(await call('DELETE', '/groups/Staff/members/user/alice', { token: sb().writeToken }), 404, 'not_found');
    expectError(await call('DELETE', '/groups/Staff/members/user/nobody', { token: sb().writeToken }), 404, 'not_found');
    expectError(await call('DELETE', '/groups/Staff/members/robot/bob', { token: sb().writeToken }), 404, 'not_found');
    const events = await sb().tp.store.db.selectFrom('audit_events').select(['event', 'actor_name']).where('event', 'like', 'group_member_%').where('actor_name', '=', 'api:ci-sync').orderBy('id').execute();
    expect(events).toEqual([
      { event: 'group_member_added', actor_name: 'api:ci-sync' },
      { event: 'group_member_removed', actor_name: 'api:ci-sync' },
    ]);
  });
});
