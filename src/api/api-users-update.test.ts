import { describe, expect, it } from 'vitest';
import { expectError, useApiSandbox } from '../../test/helpers/api-sandbox.js';

/** PATCH /api/v1/users/{username}: display name, email and roles, all or nothing. */
describe('JSON API: changing a user', () => {
  // sb() is this test's own sandbox (a new one for every test).
  const { call, current: sb } = useApiSandbox();
  const alice = async () => (await sb().tp.portal.users.byUsername('alice'))!;

  it('changes only the fields given, and audits which fields changed, not their values', async () => {
    const a = await call('PATCH', '/users/ALICE', { token: sb().writeToken, body: { displayName: 'Alice Smith', email: 'alice.smith@example.com' } });
    expect(a.status, a.text).toBe(200);
    expect(a.json).toMatchObject({ username: 'alice', displayName: 'Alice Smith', email: 'alice.smith@example.com', roles: ['user'] });
    const roles = await call('PATCH', '/users/alice', { token: sb().writeToken, body: { roles: ['user', 'password_administrator'] } });
    expect(roles.json).toMatchObject({ displayName: 'Alice Smith', roles: expect.arrayContaining(['user', 'password_administrator']) });
    const removed = await call('PATCH', '/users/alice', { token: sb().writeToken, body: { email: null } });
    expect(removed.json.email).toBeNull();
    const events = await sb().tp.store.db.selectFrom('audit_events').select(['event', 'actor_name', 'details']).where('target_name', '=', 'alice').where('actor_name', '=', 'api:ci-sync').orderBy('id').execute();
    expect(events.map((e) => [e.event, JSON.parse(e.details ?? '{}')])).toEqual([
      ['profile_changed', { changed: 'displayName,email' }],
      ['roles_changed', { from: 'user', to: expect.stringContaining('password_administrator') }],
      ['profile_changed', { changed: 'email' }],
    ]);
    expect(JSON.stringify(events)).not.toContain('alice.smith@example.com');
  });

  it('bad input, an empty body and a read token change nothing', async () => {
    const before = await alice();
    for (const body of [{}, { displayName: '' }, { email: 'not-an-address' }, { roles: ['emperor'] }, { displayName: 'Ok', extra: true }]) {
      expectError(await call('PATCH', '/users/alice', { token: sb().writeToken, body }), 400, 'invalid_input');
    }
    expectError(await call('PATCH', '/users/alice', { token: sb().readToken, body: { displayName: 'Read only' } }), 403, 'forbidden');
    expectError(await call('PATCH', '/users/nobody', { token: sb().writeToken, body: { displayName: 'X' } }), 404, 'not_found');
    expect(await alice()).toEqual(before);
  });

  it('a user from Active Directory keeps the name and email AD gives, and the roles do not change either (422, all or nothing)', async () => {
    const bob = await sb().tp.portal.users.create({ username: 'hybrid', displayName: 'From AD', email: 'h@example.com', roles: ['user'], passwordHash: null, source: 'onprem', anchor: 'guid-h' });
    const r = await call('PATCH', '/users/hybrid', { token: sb().writeToken, body: { displayName: 'Changed here', roles: ['user', 'password_administrator'] } });
    expectError(r, 422, 'refused');
    expect(r.json.error.message).toContain('comes from Active Directory');
    expect(await sb().tp.portal.users.byId(bob.id)).toMatchObject({ displayName: 'From AD', roles: ['user'] });
    expect((await call('PATCH', '/users/hybrid', { token: sb().writeToken, body: { roles: ['user', 'password_administrator'] } })).status).toBe(200);
  });

  it('the last enabled administrator keeps the role, and the name change sent with it is not made either', async () => {
    const admins = (await sb().tp.portal.users.enabledWithRole('administrator')).map((u) => u.username);
    expect(admins).toHaveLength(1);
    const r = await call('PATCH', `/users/${admins[0]}`, { token: sb().writeToken, body: { roles: ['user'], displayName: 'Demoted' } });
    expectError(r, 422, 'refused');
    expect(await sb().tp.portal.users.byUsername(admins[0]!)).toMatchObject({ roles: expect.arrayContaining(['administrator']) });
    expect((await sb().tp.portal.users.byUsername(admins[0]!))!.displayName).not.toBe('Demoted');
  });
});
