import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestPortal, type TestPortal } from '../../test/helpers/test-portal.js';
import { TestClient, makeUser } from '../../test/helpers/http-client.js';
import { dumpStore } from '../../test/helpers/store-dump.js';
import { useCliSandbox } from '../../test/helpers/cli.js';
import { cliFixtures } from '../../test/helpers/cli-fixtures.js';
import { EXIT } from '../cli/context.js';
import type { User } from '../directory/users.js';

const PW = 'correct horse battery';
const NEW = 'lantern orchid meadow';

describe('the policy switch helpdesk.temporaryPasswords', () => {
  let tp: TestPortal;
  let admin: TestClient;
  let alice: User;
  let hybrid: User;
  beforeEach(async () => {
    tp = await createTestPortal();
    await makeUser(tp.portal, { username: 'root', password: PW, roles: ['administrator'] });
    alice = await makeUser(tp.portal, { username: 'alice', password: PW });
    hybrid = await tp.portal.users.create({ username: 'henry', displayName: 'Henry', email: null, roles: ['user'], passwordHash: null, source: 'onprem', anchor: 'henry-anchor' });
    admin = new TestClient(tp.app);
    await admin.signIn('root', PW);
  });
  afterEach(() => tp.cleanup());

  it('switched off, an administrator cannot set a password (cloud or AD): refused in plain words, nothing changes', async () => {
    expect(await tp.portal.directory.temporaryPasswordsAllowed()).toBe(true);
    expect((await tp.portal.policy.update({ id: null, name: 'test' }, { helpdesk: { temporaryPasswords: false } })).ok).toBe(true);
    expect(await tp.portal.directory.temporaryPasswordsAllowed()).toBe(false);
    await admin.get(`/admin/users/${alice.id}`);
    const before = await dumpStore(tp.store);
    for (const [path, fields] of [
      [`/admin/users/${alice.id}/password`, { password: NEW, confirm: NEW }],
      [`/admin/users/alice/password`, { password: 'short', confirm: 'other' }],
      [`/admin/users/${hybrid.id}/ad/password`, { password: NEW, confirm: NEW, mustChange: '1' }],
    ] as const) {
      const r = await admin.post(path, fields);
      expect(r.status, path).toBe(422);
      expect(r.body).toContain('Setting a password for a user is switched off in the policy');
    }
    expect(await dumpStore(tp.store)).toBe(before);
    const browser = new TestClient(tp.app);
    expect((await browser.signIn('alice', NEW)).res.headers.get('location')).not.toBe('/account');

    // The user's own change and a reset are not an administrator setting it: they still work.
    const own = await tp.portal.directory.setPassword({ id: alice.id, name: 'alice' }, alice.id, { password: NEW, confirm: NEW }, { ownSessionIdHash: 'x' });
    expect(own.ok).toBe(true);
    const reset = await tp.portal.directory.setPassword({ id: alice.id, name: 'alice' }, alice.id, { password: 'copper kettle whistle' }, { auditEvent: 'password_set_by_reset' });
    expect(reset.ok).toBe(true);

    // Switched on again, the administrator's form works.
    expect((await tp.portal.policy.update({ id: null, name: 'test' }, { helpdesk: { temporaryPasswords: true } })).ok).toBe(true);
    await admin.get(`/admin/users/${alice.id}`);
    expect((await admin.post(`/admin/users/${alice.id}/password`, { password: 'silver harbour lights', confirm: 'silver harbour lights' })).status).toBe(303);
  });
});

describe('sspr user set-password with temporary passwords switched off', () => {
  const sb = useCliSandbox('sspr-temp-pw-');
  const { run: sspr, ok } = sb;
  const { signIn } = cliFixtures(sb);

  it('exits with "refused" and changes nothing', async () => {
    await ok(['user', 'add', 'alice', '--display-name', 'Alice', '--password-stdin'], { stdin: ['old tortoise 1865'] });
    await sb.withPortal(async (portal) => {
      expect((await portal.policy.update({ id: null, name: 'test' }, { helpdesk: { temporaryPasswords: false } })).ok).toBe(true);
    });
    const r = await sspr(['user', 'set-password', 'alice', '--password-stdin'], { stdin: ['brand new password'] });
    expect(r.code).toBe(EXIT.refused);
    expect(r.stderr).toContain('Setting a password for a user is switched off in the policy');
    expect(await signIn('alice', 'old tortoise 1865')).toBe('signed_in');
  });
});
