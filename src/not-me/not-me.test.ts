import { afterEach, describe, expect, it } from 'vitest';
import type { TestPortal } from '../../test/helpers/test-portal.js';
import { TestClient, makeUser } from '../../test/helpers/http-client.js';
import { lastCodeTo, messagesTo } from '../../test/helpers/outbox.js';
import { NEW_PASSWORD, PASSWORD, chooseEmail, flowOf, passEmail, registered, resetPortals, shape, signInWorks, startReset } from '../../test/helpers/reset-flow.js';
import { parsedMessages, startSmtp } from '../../test/helpers/smtp-sink.js';
import type { OutboxItem } from '../delivery/outbox.js';

/**
 * "This wasn't me": the one-time link every notice carries, what opening it does (nothing) and
 * what confirming it does (self-service off, sessions ended, an audit event flagged, the
 * administrators told), and how an administrator turns self-service back on. HTTP against the
 * real app over a real SQLite store; messages are read from the outbox.
 */

// Registered before the portals' hook, so it runs after it: the portal lets go of its SMTP connection first.
let smtp: Awaited<ReturnType<typeof startSmtp>> | undefined;
afterEach(async () => {
  await smtp?.close();
  smtp = undefined;
});
const portal = resetPortals();
const DAY = 86_400_000;
const HELPDESK = 'helpdesk@corp.test';
const LINK = /http:\/\/portal\.test\/not-me\?token=([A-Za-z0-9_-]+)/g;

/** The "this wasn't me" links in a message (its text body). */
function linksIn(m: OutboxItem): string[] {
  return [...(m.body ?? '').matchAll(LINK)].map((x) => x[1]!);
}

async function noticesTo(t: TestPortal, to: string, subject: string): Promise<OutboxItem[]> {
  return (await messagesTo(t.portal, to)).filter((m) => m.subject?.includes(subject));
}

/** A portal whose helpdesk is known, alice registered (email method) and signed in twice, and an administrator with an address. */
async function setUp(manualTime = false) {
  // One address gets many messages here (codes and notices): above the per-destination limit of 5 an hour.
  const t = await portal({ branding: { helpdesk: HELPDESK }, delivery: { limits: { perDestinationPerHour: 50, perDestinationPerDay: 50 } } }, manualTime);
  const alice = await registered(t.portal, 'alice');
  const admin = await makeUser(t.portal, { username: 'root', password: PASSWORD, roles: ['administrator'], email: 'root@corp.test' });
  return { t, alice, admin };
}

/** Alice resets her password in one browser (the email code), as the owner or as someone holding her mailbox would. */
async function resetAlice(t: TestPortal, email: string, headers: Record<string, string> = {}) {
  const c = new TestClient(t.app, 'http://portal.test', headers);
  const flow = flowOf(await startReset(c, 'alice'));
  expect((await passEmail(t, c, flow, email)).status).toBe(303);
  await c.get(`/reset/verify?flow=${flow}`);
  expect((await c.post('/reset/password', { flow, password: NEW_PASSWORD, confirm: NEW_PASSWORD })).status).toBe(303);
  await t.portal.resets.settled();
}

/** The token of the newest reset notice to alice's private address. */
async function resetToken(t: TestPortal, email: string): Promise<string> {
  const [notice] = await noticesTo(t, email, 'password was reset');
  return linksIn(notice!)[0]!;
}

/** Signs in through the real forms, with the second factor (the email code) when the user has a method. */
async function signIn(t: TestPortal, c: TestClient, who: { user: { id: string; username: string }; email: string }, password: string): Promise<void> {
  const r = await c.signIn(who.user.username, password);
  expect(r.status).toBe(303);
  const location = r.res.headers.get('location') ?? '';
  if (location.startsWith('/sign-in/verify')) {
    const flow = decodeURIComponent(/flow=([^&]+)/.exec(location)![1]!);
    await c.get(location);
    const method = (await t.portal.methods.list(who.user.id, { confirmedOnly: true })).find((m) => m.contact === who.email)!;
    expect((await c.post('/sign-in/verify/choose', { flow, method: method.id })).status).toBe(303);
    await c.get(location);
    expect((await c.post('/sign-in/verify/code', { flow, code: await lastCodeTo(t.portal, who.email) })).status).toBe(303);
  }
  expect((await c.get('/account')).status).toBe(200);
}

async function report(t: TestPortal, token: string) {
  const c = new TestClient(t.app);
  const page = await c.get(`/not-me?token=${token}`);
  expect(page.status).toBe(200);
  return c.post('/not-me', { token });
}

describe('"this wasn\'t me" (HTTP, real store)', () => {
  it('every notice of a reset, unlock, change, added and removed method carries one link, built from the public URL, and says what to do', async () => {
    const { t, alice } = await setUp();
    // Someone poisons the Host headers: links still name the configured public URL.
    await resetAlice(t, alice.email, { 'x-forwarded-host': 'evil.example', forwarded: 'host=evil.example' });

    const c = new TestClient(t.app);
    await signIn(t, c, alice, NEW_PASSWORD);
    await c.get('/account/change-password');
    expect((await c.post('/account/change-password', { current: NEW_PASSWORD, password: 'Another-Fresh-Orchard-77', confirm: 'Another-Fresh-Orchard-77' })).status).toBe(303);
    await signIn(t, c, alice, 'Another-Fresh-Orchard-77');
    await c.get('/account/security-info/add/email');
    const added = await c.post('/account/security-info/add/email', { email: 'alice.third@mail.test' });
    expect(added.status).toBe(303);
    const confirmPath = added.res.headers.get('location')!;
    await c.get(confirmPath);
    expect((await c.post(confirmPath, { code: await lastCodeTo(t.portal, 'alice.third@mail.test') })).status).toBe(303);
    const third = (await t.portal.methods.list(alice.user.id)).find((m) => m.contact === 'alice.third@mail.test')!;
    await c.get('/account/security-info');
    expect((await c.post(`/account/security-info/remove/${third.id}`, {})).status).toBe(303);

    const u = new TestClient(t.app);
    const flow = flowOf(await startReset(u, 'alice', 'unlock'));
    expect((await passEmail(t, u, flow, alice.email)).status).toBe(303);
    await u.get(`/reset/verify?flow=${flow}`);
    expect((await u.post('/reset/unlock', { flow })).status).toBe(303);
    await t.portal.resets.settled();

    const tokens: string[] = [];
    for (const subject of ['password was reset', 'password was changed', 'security info changed', 'account was unlocked']) {
      const notices = await noticesTo(t, alice.email, subject);
      expect(notices.length, subject).toBeGreaterThan(0);
      for (const notice of notices) {
        // One link per notice, the same in every copy the notice sends.
        const links = linksIn(notice);
        expect(links, subject).toHaveLength(1);
        expect(notice.body).toContain('Was this not you? Report it with the link below.');
        expect(notice.body).not.toContain('evil.example');
        expect(notice.body).not.toContain(NEW_PASSWORD);
        tokens.push(links[0]!);
      }
      const copies = await noticesTo(t, 'alice@corp.test', subject);
      expect(copies.map(linksIn)).toEqual(notices.map(linksIn));
    }
    const kinds = new Map<string, string>();
    for (const token of new Set(tokens)) kinds.set(token, (await t.portal.reportLinks.peek(token))!.event);
    // The "security info changed" notices: one for the method added, one for the one removed.
    expect([...kinds.values()].sort()).toEqual(['account_unlock', 'method_added', 'method_removed', 'password_change', 'password_reset']);
    for (const token of kinds.keys()) expect((await t.portal.reportLinks.peek(token))!.userId).toBe(alice.user.id);

    // Only keyed hashes are stored: no token appears anywhere in the database's links.
    const rows = JSON.stringify(await t.store.db.selectFrom('report_links').selectAll().execute());
    for (const token of kinds.keys()) expect(rows).not.toContain(token);
  });

  it('opening the link, as a mail scanner does, changes nothing: no block, sessions kept, nothing audited, the link still works', async () => {
    const { t, alice } = await setUp();
    await resetAlice(t, alice.email);
    const token = await resetToken(t, alice.email);
    const signedIn = new TestClient(t.app);
    await signIn(t, signedIn, alice, NEW_PASSWORD);
    const auditBefore = await t.store.db.selectFrom('audit_events').select('id').execute();

    const scanner = new TestClient(t.app);
    for (let i = 0; i < 3; i++) {
      const page = await scanner.get(`/not-me?token=${token}`);
      expect(page.status).toBe(200);
      expect(page.res.headers.get('referrer-policy')).toBe('no-referrer');
      expect(page.res.headers.get('cache-control')).toBe('no-store');
      expect(page.body).toContain('Your password was reset.');
      expect(page.body).toContain('Report it and protect my account');
    }
    expect((await scanner.request(`/not-me?token=${token}`, { method: 'HEAD' })).status).toBe(200);

    expect(await t.portal.selfServiceBlocks.isBlocked(alice.user.id)).toBe(false);
    expect((await signedIn.get('/account')).status).toBe(200);
    expect(await t.store.db.selectFrom('audit_events').select('id').execute()).toHaveLength(auditBefore.length);
    expect(await t.portal.reportLinks.peek(token)).not.toBeNull();
    expect(await messagesTo(t.portal, 'root@corp.test')).toEqual([]);
  });

  it('the confirming POST blocks self-service, ends every session, flags the audit event and tells the administrators', async () => {
    const { t, alice, admin } = await setUp();
    const second = await makeUser(t.portal, { username: 'second.admin', password: PASSWORD, roles: ['administrator'], email: 'second@corp.test' });
    await resetAlice(t, alice.email);
    const token = await resetToken(t, alice.email);
    const phone = new TestClient(t.app);
    const laptop = new TestClient(t.app);
    await signIn(t, phone, alice, NEW_PASSWORD);
    await signIn(t, laptop, alice, NEW_PASSWORD);

    const done = await report(t, token);
    expect(done.status).toBe(200);
    expect(done.res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(done.body).toContain('Thank you, your account is protected');
    expect(done.body).toContain('What happens next');
    expect(done.body).toContain(`href="mailto:${HELPDESK}"`);

    expect(await t.portal.selfServiceBlocks.get(alice.user.id)).toMatchObject({ reportedEvent: 'password_reset' });
    for (const c of [phone, laptop]) expect((await c.get('/account')).status).toBe(303);
    expect(await t.store.db.selectFrom('sessions').selectAll().where('user_id', '=', alice.user.id).execute()).toEqual([]);
    // Signing in still works (the helpdesk may need the user in); only self-service is off.
    expect(await signInWorks(t, 'alice', NEW_PASSWORD)).toBe(true);

    const events = await t.store.db.selectFrom('audit_events').selectAll().where('event', '=', 'not_me_reported').execute();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ attention: 1, target_id: alice.user.id, target_name: 'alice', actor_id: alice.user.id });
    expect(JSON.parse(events[0]!.details)).toMatchObject({ reported: 'password_reset', sessionsEnded: 2, alreadyBlocked: false });

    for (const [to, who] of [['root@corp.test', admin], ['second@corp.test', second]] as const) {
      const alerts = await messagesTo(t.portal, to);
      expect(alerts.map((m) => m.subject), to).toEqual([expect.stringContaining('A user reported a change they did not make')]);
      expect(alerts[0]!.kind).toBe('notify:not-me-reported');
      expect(alerts[0]!.userId).toBe(who.id);
      expect(alerts[0]!.body).toContain('alice (alice) reported that they did not make this change: "Your password was reset."');
      expect(alerts[0]!.body).toContain(`http://portal.test/admin/users/${alice.user.id}`);
      // The administrators' alert carries no report link of its own, and not alice's.
      expect(linksIn(alerts[0]!)).toEqual([]);
      expect(alerts[0]!.body).not.toContain(token);
    }

    // The audit console shows the flag, and filters by it.
    const adminClient = new TestClient(t.app);
    await adminClient.signIn('root', PASSWORD);
    const flagged = await adminClient.get('/admin/audit?attention=1');
    expect(flagged.body).toContain('<span title="not_me_reported">User reported: this was not me</span>');
    expect(flagged.body).toContain('Needs attention');
    expect(flagged.body).toContain('1 event');
  });

  it('a link works once and for 7 days; a POST without the form token, or with another token, does nothing', async () => {
    const { t, alice } = await setUp(true);
    await resetAlice(t, alice.email);
    const token = await resetToken(t, alice.email);

    const c = new TestClient(t.app);
    await c.get(`/not-me?token=${token}`);
    const forged = await c.post('/not-me', { token, _csrf: 'not-the-token' });
    expect(forged.status).toBe(403);
    const guessed = await c.post('/not-me', { token: `${token.slice(0, -4)}AAAA` });
    expect(guessed.status).toBe(410);
    expect(guessed.body).toContain('This link was already used or has expired');
    expect(await t.portal.selfServiceBlocks.isBlocked(alice.user.id)).toBe(false);

    expect((await c.post('/not-me', { token })).status).toBe(200);
    const again = await new TestClient(t.app).get(`/not-me?token=${token}`);
    expect(again.status).toBe(410);
    const twice = await c.post('/not-me', { token });
    expect(twice.status).toBe(410);
    expect(await t.store.db.selectFrom('audit_events').select('id').where('event', '=', 'not_me_reported').execute()).toHaveLength(1);
    await t.portal.notMe.lift({ id: null, name: 'test' }, alice.user.id);

    // A week later a link from an older notice is dead, on GET and POST alike.
    await t.portal.notices.toUser(alice.user, { event: 'password_change', kind: 'notify:password-changed', message: () => ({ title: 'Your password was changed', paragraphs: ['test'] }) });
    const [late] = (await messagesTo(t.portal, alice.email)).flatMap(linksIn);
    t.clock.advance!(7 * DAY - 1000);
    expect((await new TestClient(t.app).get(`/not-me?token=${late}`)).status).toBe(200);
    t.clock.advance!(1000);
    const expired = new TestClient(t.app);
    const gone = await expired.get(`/not-me?token=${late}`);
    expect(gone.status).toBe(410);
    expect(gone.body).toContain(HELPDESK);
    // A page opened before the week ran out, submitted after it.
    expect((await c.post('/not-me', { token: late! })).status).toBe(410);
    expect(await t.portal.selfServiceBlocks.isBlocked(alice.user.id)).toBe(false);
  });

  it("a blocked user's reset looks like anyone's until identity is proven, then says to contact the helpdesk and changes nothing", async () => {
    const { t, alice } = await setUp();
    const bob = await registered(t.portal, 'bob');
    await t.portal.selfServiceBlocks.block(alice.user.id, { event: 'password_reset', eventAt: t.clock.now() });

    const journey = async (username: string) => {
      const c = new TestClient(t.app);
      const start = await startReset(c, username);
      const flow = flowOf(start);
      const verify = await c.get(`/reset/verify?flow=${flow}`);
      const choose = await chooseEmail(c, flow, 'someone@else.test');
      const codePage = await c.get(`/reset/verify?flow=${flow}`);
      const wrong = await c.post('/reset/verify/code', { flow, code: '12345678' });
      return [start, verify, choose, codePage, wrong].map(shape);
    };
    expect(await journey('alice')).toEqual(await journey('bob'));
    expect(bob.user.id).not.toBe(alice.user.id);

    for (const intent of ['reset', 'unlock'] as const) {
      const c = new TestClient(t.app);
      const flow = flowOf(await startReset(c, 'alice', intent));
      expect((await passEmail(t, c, flow, alice.email)).status).toBe(303);
      const page = await c.get(`/reset/verify?flow=${flow}`);
      expect(page.status).toBe(403);
      expect(page.body).toContain('Self-service is turned off for your account');
      expect(page.body).toContain('Contact your helpdesk');
      expect(page.body).toContain(HELPDESK);
      expect(page.body).not.toContain('name="password"');
      const set = await c.post(intent === 'reset' ? '/reset/password' : '/reset/unlock', { flow, password: NEW_PASSWORD, confirm: NEW_PASSWORD });
      expect(set.status).toBe(403);
      expect(set.body).toContain('Self-service is turned off for your account');
    }
    expect(await signInWorks(t, 'alice', PASSWORD)).toBe(true);
    expect(await signInWorks(t, 'alice', NEW_PASSWORD)).toBe(false);
    const resets = await t.store.db.selectFrom('audit_events').select('outcome').where('event', 'in', ['password_reset', 'account_unlock']).where('target_id', '=', alice.user.id).execute();
    expect(resets.filter((r) => r.outcome === 'success')).toEqual([]);
  });

  it('a blocked user can sign in but not change the password or security info, and is not sent to register', async () => {
    const t = await portal({ methods: { registrationRequired: true, required: 2 } });
    const alice = await registered(t.portal, 'alice');
    const bob = await registered(t.portal, 'bob');
    await t.portal.selfServiceBlocks.block(alice.user.id, { event: 'method_added', eventAt: t.clock.now() });
    // One method where the policy asks for two sends bob to register; not alice, who could not.
    const b = new TestClient(t.app);
    const bobIn = await b.signIn('bob', PASSWORD);
    await b.get(bobIn.res.headers.get('location')!);
    const bobMethod = (await t.portal.methods.list(bob.user.id))[0]!;
    const bobFlow = decodeURIComponent(/flow=([^&]+)/.exec(bobIn.res.headers.get('location')!)![1]!);
    await b.post('/sign-in/verify/choose', { flow: bobFlow, method: bobMethod.id });
    await b.get(bobIn.res.headers.get('location')!);
    await b.post('/sign-in/verify/code', { flow: bobFlow, code: await lastCodeTo(t.portal, bob.email) });
    expect((await b.get('/account')).res.headers.get('location')).toBe('/account/security-info?register=1');
    const c = new TestClient(t.app);
    await signIn(t, c, alice, PASSWORD);

    const form = await c.get('/account/change-password');
    expect(form.body).toContain('Changing your password here is turned off for your account');
    expect(form.body).not.toContain('name="current"');
    const change = await c.post('/account/change-password', { current: PASSWORD, password: NEW_PASSWORD, confirm: NEW_PASSWORD });
    expect(change.status).toBe(403);
    expect(await signInWorks(t, 'alice', PASSWORD)).toBe(true);

    const overview = await c.get('/account/security-info');
    expect(overview.body).toContain('Changes to your security info are turned off for your account');
    const add = await c.post('/account/security-info/add/email', { email: 'attacker@evil.test' });
    expect(add.status).toBe(403);
    expect(add.body).toContain('Changes to your security info are turned off for your account');
    const [method] = await t.portal.methods.list(alice.user.id);
    expect((await c.post(`/account/security-info/remove/${method!.id}`, {})).status).toBe(403);
    const passkey = await c.request('/account/security-info/passkeys/options', { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': c.csrf, origin: 'http://portal.test' }, body: JSON.stringify({ name: 'Key' }) });
    expect(passkey.status).toBe(403);
    expect(((await passkey.json()) as { code: string }).code).toBe('methods.selfServiceBlocked');
    expect((await t.portal.methods.list(alice.user.id)).map((m) => m.contact)).toEqual([alice.email]);
    expect(await messagesTo(t.portal, 'attacker@evil.test')).toEqual([]);
  });

  it('an administrator sees the block on the user\'s page and lifts it with a confirming POST, audited; then self-service works again', async () => {
    const { t, alice, admin } = await setUp();
    await resetAlice(t, alice.email);
    expect((await report(t, await resetToken(t, alice.email))).status).toBe(200);

    const adminClient = new TestClient(t.app);
    await adminClient.signIn('root', PASSWORD);
    const page = await adminClient.get(`/admin/users/${alice.user.id}`);
    expect(page.body).toContain('Self-service is turned off');
    expect(page.body).toContain('Your password was reset.');
    expect(page.body).toContain(`action="/admin/users/${alice.user.id}/self-service/unblock"`);
    // Opening the page lifts nothing; a cross-site POST is refused.
    expect(await t.portal.selfServiceBlocks.isBlocked(alice.user.id)).toBe(true);
    expect((await adminClient.post(`/admin/users/${alice.user.id}/self-service/unblock`, {}, { origin: 'http://evil.example' })).status).toBe(403);
    expect(await t.portal.selfServiceBlocks.isBlocked(alice.user.id)).toBe(true);

    const lifted = await adminClient.post(`/admin/users/${alice.user.id}/self-service/unblock`, {});
    expect(lifted.status).toBe(303);
    expect(lifted.res.headers.get('location')).toBe(`/admin/users/${alice.user.id}?done=notMe.done.lifted`);
    const after = await adminClient.get(lifted.res.headers.get('location')!);
    expect(after.body).toContain('Self-service is turned back on for this user.');
    expect(after.body).not.toContain('Turn self-service back on');
    expect(await t.portal.selfServiceBlocks.isBlocked(alice.user.id)).toBe(false);
    const audit = await t.store.db.selectFrom('audit_events').selectAll().where('event', '=', 'self_service_unblocked').execute();
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actor_id: admin.id, actor_name: 'root', target_id: alice.user.id, attention: 0 });
    expect(JSON.parse(audit[0]!.details)).toMatchObject({ reported: 'password_reset' });

    const again = await adminClient.post(`/admin/users/${alice.user.id}/self-service/unblock`, {});
    expect(again.status).toBe(409);
    expect(again.body).toContain('Self-service is not turned off for this user.');

    const c = new TestClient(t.app);
    await signIn(t, c, alice, NEW_PASSWORD);
    await c.get('/account/change-password');
    expect((await c.post('/account/change-password', { current: NEW_PASSWORD, password: 'Another-Fresh-Orchard-77', confirm: 'Another-Fresh-Orchard-77' })).status).toBe(303);
  });

  it('the JSON API shows the block with the user and a write token lifts it; a read token cannot', async () => {
    const { t, alice, admin } = await setUp();
    await t.portal.selfServiceBlocks.block(alice.user.id, { event: 'method_removed', eventAt: t.clock.now() });
    const token = async (scope: 'read' | 'write') => {
      const r = await t.portal.apiTokens.create({ id: admin.id, name: 'root' }, { name: `t-${scope}`, scope });
      if (!r.ok) throw new Error('token');
      return r.value.token;
    };
    const [read, write] = [await token('read'), await token('write')];
    // What @hono/node-server gives as the peer: the API records the actor's address.
    const peer = { incoming: { socket: { remoteAddress: '198.51.100.7', remotePort: 40000, remoteFamily: 'IPv4' } } };
    const call = (method: string, path: string, bearer: string) => t.app.request(`http://portal.test/api/v1${path}`, { method, headers: { authorization: `Bearer ${bearer}` } }, peer);

    const shown = (await (await call('GET', '/users/alice', read)).json()) as { selfServiceBlock: { reportedEvent: string } | null };
    expect(shown.selfServiceBlock).toMatchObject({ reportedEvent: 'method_removed' });
    expect((await call('POST', '/users/alice/self-service/unblock', read)).status).toBe(403);
    expect(await t.portal.selfServiceBlocks.isBlocked(alice.user.id)).toBe(true);
    expect((await call('POST', '/users/alice/self-service/unblock', write)).status).toBe(200);
    expect(await t.portal.selfServiceBlocks.isBlocked(alice.user.id)).toBe(false);
    expect((await call('POST', '/users/alice/self-service/unblock', write)).status).toBe(409);
    expect(((await (await call('GET', '/users/alice', read)).json()) as { selfServiceBlock: unknown }).selfServiceBlock).toBeNull();
    const audit = await t.store.db.selectFrom('audit_events').select(['actor_name', 'event']).where('event', '=', 'self_service_unblocked').execute();
    expect(audit).toEqual([{ actor_name: 'api:t-write', event: 'self_service_unblocked' }]);
  });

  it("the notice and the administrators' alert travel over real SMTP, with the link in the text and the HTML part", async () => {
    const sink = await startSmtp();
    smtp = sink;
    const t = await portal({ delivery: { mode: 'smtp', smtp: { host: '127.0.0.1', port: sink.port, from: 'Portal <portal@example.org>', rejectUnauthorized: false } }, branding: { helpdesk: HELPDESK } });
    await makeUser(t.portal, { username: 'root', password: PASSWORD, roles: ['administrator'], email: 'root@corp.test' });
    await makeUser(t.portal, { username: 'carol', password: PASSWORD, email: 'carol@corp.test' });
    const c = new TestClient(t.app);
    expect((await c.signIn('carol', PASSWORD)).status).toBe(303);
    await c.get('/account/change-password');
    expect((await c.post('/account/change-password', { current: PASSWORD, password: NEW_PASSWORD, confirm: NEW_PASSWORD })).status).toBe(303);

    const [notice] = await parsedMessages(sink.received);
    expect(sink.received[0]!.to).toEqual(['carol@corp.test']);
    expect(notice!.subject).toContain('Your password was changed');
    const token = [...(notice!.text ?? '').matchAll(LINK)].map((x) => x[1]!);
    expect(token).toHaveLength(1);
    expect(notice!.html).toContain(`href="http://portal.test/not-me?token=${token[0]}"`);
    expect(notice!.html).toContain('This was not me');
    expect(notice!.text).not.toContain(NEW_PASSWORD);

    expect((await report(t, token[0]!)).status).toBe(200);
    const all = await parsedMessages(sink.received);
    expect(sink.received.at(-1)!.to).toEqual(['root@corp.test']);
    expect(all.at(-1)!.subject).toContain('A user reported a change they did not make');
    expect(all.at(-1)!.text).toContain('carol (carol) reported that they did not make this change: "Your password was changed."');
  });
});
