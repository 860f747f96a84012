import { afterEach, describe, expect, it } from 'vitest';
import { codeIn } from '../../../test/helpers/codes.js';
import { TestClient } from '../../../test/helpers/http-client.js';
import { messagesTo } from '../../../test/helpers/outbox.js';
import { chooseEmail, flowOf, registered, resetPortals, startReset } from '../../../test/helpers/reset-flow.js';
import { startSmtp } from '../../../test/helpers/smtp-sink.js';

/**
 * Issue 17 item 2: a code that was not sent is never passed over in silence. The user is told
 * ("We could not send a code…") and offered another way; a decoy (a name that matches nobody, a
 * typo'd address) is told the same at the same count; the delivery log keeps why (the Delivery
 * page reads it); security notices never use up the codes; "Resend code" waits for its cooldown.
 */
const portal = resetPortals();
const COULD_NOT_SEND = 'We could not send a code to that address right now. Try another way, or try again in';

describe('a code that could not be sent is told, never passed over', () => {
  let smtp: Awaited<ReturnType<typeof startSmtp>> | undefined;
  afterEach(async () => {
    await smtp?.close();
    smtp = undefined;
  });

  it('a code the mail server refused (550 at RCPT) is reported to the user, with another way offered, and recorded for Delivery with the reason', async () => {
    smtp = await startSmtp({
      onRcptTo(address, _session, cb) {
        if (address.address === 'bounce@mail.test') cb(Object.assign(new Error('Mailbox unavailable'), { responseCode: 550 }));
        else cb();
      },
    });
    const t = await portal({ delivery: { mode: 'smtp', smtp: { host: '127.0.0.1', port: smtp.port, rejectUnauthorized: false }, retries: { attempts: 2, backoffMs: 5 } } });
    const { user } = await registered(t.portal, 'rosa', { email: 'bounce@mail.test' });
    const c = new TestClient(t.app);
    const flow = flowOf(await startReset(c, 'rosa'));
    // The answer is the same as for any address (the send runs in the background, so its timing tells nothing)…
    expect((await chooseEmail(c, flow, 'bounce@mail.test')).status).toBe(303);
    await t.portal.resets.settled();
    // …and the code page then says the code was not sent, with the way back to the list.
    const r = await c.get(`/reset/verify?flow=${flow}`);
    expect(r.body).toContain(COULD_NOT_SEND);
    expect(r.body).toContain('Try another way');
    const log = await t.store.db.selectFrom('delivery_log').selectAll().where('user_id', '=', user.id).execute();
    expect(log.map((l) => [l.kind, l.status])).toEqual([['code:reset', 'failed']]);
    expect(log[0]!.error).toMatch(/550|Mailbox unavailable/);
    expect(log[0]!.destination_hint).toBe('b•••@mail.test');
    expect(smtp.received).toEqual([]);
  });

  it('while delivery is down a real user and a decoy are told the same: the code was not sent, try another way', async () => {
    // A mail server that took the port and then went away: every send fails to connect.
    smtp = await startSmtp();
    const port = smtp.port;
    await smtp.close();
    smtp = undefined;
    const t = await portal({ delivery: { mode: 'smtp', smtp: { host: '127.0.0.1', port, rejectUnauthorized: false }, retries: { attempts: 1, backoffMs: 5 } } });
    await registered(t.portal, 'rosa', { email: 'rosa@mail.test' });
    const real = new TestClient(t.app);
    const realFlow = flowOf(await startReset(real, 'rosa'));
    expect((await chooseEmail(real, realFlow, 'rosa@mail.test')).status).toBe(303);
    await t.portal.resets.settled();
    const realPage = (await real.get(`/reset/verify?flow=${realFlow}`)).body;
    expect(realPage).toContain(COULD_NOT_SEND);
    // Someone trying names and addresses now: an unknown name and a typo'd address read the same.
    for (const [name, address] of [['nobody.here', 'nobody@mail.test'], ['rosa', 'rosa@mail.tset']] as const) {
      const c = new TestClient(t.app);
      const flow = flowOf(await startReset(c, name));
      expect((await chooseEmail(c, flow, address)).status).toBe(303);
      await t.portal.resets.settled();
      const page = (await c.get(`/reset/verify?flow=${flow}`)).body;
      expect(page, `${name} / ${address}`).toContain(COULD_NOT_SEND);
      expect(page).toContain('Try another way');
    }
  });

  it('with delivery working a decoy is not told "could not send": nothing tells it from a real address', async () => {
    const t = await portal({});
    await registered(t.portal, 'rosa', { email: 'rosa@mail.test' });
    for (const [name, address] of [['rosa', 'rosa@mail.test'], ['nobody.here', 'nobody@mail.test']] as const) {
      const c = new TestClient(t.app);
      const flow = flowOf(await startReset(c, name));
      await chooseEmail(c, flow, address);
      await t.portal.resets.settled();
      expect((await c.get(`/reset/verify?flow=${flow}`)).body, name).not.toContain(COULD_NOT_SEND);
    }
  });

  it('security notices never use up the codes: after more notices than the per-destination limit, the next code still goes out', async () => {
    const t = await portal({ delivery: { limits: { perDestinationPerHour: 3 } } });
    const { user, email } = await registered(t.portal, 'nora', { email: 'nora@corp.test' });
    // nora@corp.test is also the user's directory address: every notice goes to it.
    for (let i = 0; i < 5; i++) await t.portal.notices.toUser(user, { event: 'password_changed', kind: 'notify:password-changed', message: () => ({ title: 'Your password was changed', paragraphs: ['A notice.'] }) });
    const notices = await t.store.db.selectFrom('delivery_log').select(['kind', 'status']).where('user_id', '=', user.id).execute();
    expect(notices.filter((n) => n.kind === 'notify:password-changed').map((n) => n.status)).toEqual(['sent', 'sent', 'sent', 'rate_limited', 'rate_limited']);
    const c = new TestClient(t.app);
    const flow = flowOf(await startReset(c, 'nora'));
    const r = await chooseEmail(c, flow, email);
    expect(r.status).toBe(303);
    await t.portal.resets.settled();
    expect((await c.get(`/reset/verify?flow=${flow}`)).body).not.toContain(COULD_NOT_SEND);
    const codes = (await messagesTo(t.portal, email)).filter((m) => m.kind === 'code:reset');
    expect(codes).toHaveLength(1);
  });

  it('a decoy is told "could not send" at the same count as a real address: an unknown name, a typo and the registered address each get 5 codes an hour, then the same refusal', async () => {
    const t = await portal();
    const { email } = await registered(t.portal, 'vera', { email: 'vera@mail.test' });
    const answers = async (username: string, address: string) => {
      const out: Array<[number, boolean]> = [];
      for (let i = 0; i < 7; i++) {
        const c = new TestClient(t.app);
        const flow = flowOf(await startReset(c, username));
        const r = await chooseEmail(c, flow, address);
        out.push([r.status, r.body.includes(COULD_NOT_SEND)]);
      }
      return out;
    };
    const real = await answers('vera', email);
    expect(real).toEqual([...Array(5).fill([303, false]), [503, true], [503, true]]);
    expect(await answers('no.such.user', 'anyone@mail.test')).toEqual(real);
    expect(await answers('vera', 'vera@mail.tset')).toEqual(real);
    await t.portal.resets.settled();
    // The real address got its five codes; what was refused is in the delivery log with the limit.
    expect((await messagesTo(t.portal, email)).filter((m) => m.kind === 'code:reset')).toHaveLength(5);
    const refused = await t.store.db.selectFrom('delivery_log').selectAll().where('status', '=', 'rate_limited').execute();
    expect(refused.map((r) => r.error)).toEqual(['limit reached: 5 messages per destination per hour', 'limit reached: 5 messages per destination per hour']);
  });

  it('over a day too: an unknown name, a typo and the registered address each get 10 codes a day (5 an hour), then the same refusal', async () => {
    const t = await portal({}, true);
    const { email } = await registered(t.portal, 'wren', { email: 'wren@mail.test' });
    const kinds: Array<[string, string]> = [
      ['wren', email],
      ['no.such.user', 'someone@mail.test'],
      ['wren', 'wren@mail.tset'],
    ];
    const answers: Array<Array<[number, boolean]>> = [[], [], []];
    for (let hour = 0; hour < 3; hour++) {
      for (let i = 0; i < (hour < 2 ? 5 : 1); i++) {
        for (const [k, [username, address]] of kinds.entries()) {
          const c = new TestClient(t.app);
          const r = await chooseEmail(c, flowOf(await startReset(c, username)), address);
          answers[k]!.push([r.status, r.body.includes(COULD_NOT_SEND)]);
        }
      }
      await t.portal.resets.settled();
      t.clock.advance!(61 * 60_000);
    }
    expect(answers[0]).toEqual([...Array(10).fill([303, false]), [503, true]]);
    expect(answers[1]).toEqual(answers[0]);
    expect(answers[2]).toEqual(answers[0]);
    expect((await messagesTo(t.portal, email)).filter((m) => m.kind === 'code:reset')).toHaveLength(10);
  });

  it('"Resend code" says when it can be used, refuses earlier with a clear message, and sends a new code after the cooldown', async () => {
    const t = await portal({}, true);
    const { email } = await registered(t.portal, 'ines', { email: 'ines@mail.test' });
    const c = new TestClient(t.app);
    const flow = flowOf(await startReset(c, 'ines'));
    expect((await chooseEmail(c, flow, email)).status).toBe(303);
    await t.portal.resets.settled();
    const page = await c.get(`/reset/verify?flow=${flow}`);
    expect(page.body).toContain('Did not get it? You can ask for a new code in 60 seconds');
    const early = await c.post('/reset/verify/resend', { flow });
    expect(early.status).toBe(429);
    expect(early.body).toContain('A new code can be sent in 60 seconds. Wait a moment, then press &quot;Resend code&quot; again.');
    expect((await messagesTo(t.portal, email)).filter((m) => m.kind === 'code:reset')).toHaveLength(1);
    t.clock.advance!(61_000);
    expect((await c.get(`/reset/verify?flow=${flow}`)).body).toContain('You can ask for a new code now.');
    const again = await c.post('/reset/verify/resend', { flow });
    expect(again.status).toBe(303);
    await t.portal.resets.settled();
    const codes = (await messagesTo(t.portal, email)).filter((m) => m.kind === 'code:reset');
    expect(codes).toHaveLength(2);
    // The new code works (the newest message first).
    expect((await c.post('/reset/verify/code', { flow, code: codeIn(codes[0]!.body!) })).status).toBe(303);
    expect((await c.get(`/reset/verify?flow=${flow}`)).body).toContain('Choose a new password');
  });
});

describe('reset.showRegisteredHints', () => {
  it('off (the default), every name sees the same list without hints; on, the list shows masked hints of the named user\'s registered addresses and numbers, and a name that matches nobody gets none', async () => {
    const t = await portal();
    await registered(t.portal, 'hana', { email: 'hana.private@mail.test', mobile: '+4915123457878' });
    const list = async (username: string) => {
      const c = new TestClient(t.app);
      const flow = flowOf(await startReset(c, username));
      return (await c.get(`/reset/verify?flow=${flow}`)).body;
    };
    const strip = (body: string) => body.replace(/value="[A-Za-z0-9_-]{20,}"/g, 'value="F"').replace(/flow=[A-Za-z0-9_-]{20,}/g, 'flow=F').replace(/Account: [^<]+/, 'Account: U');
    expect(strip(await list('hana'))).toEqual(strip(await list('no.such.user')));
    expect(await list('hana')).not.toContain('Registered:');
    expect((await t.portal.policy.update({ id: null, name: 'test' }, { reset: { neverWeakerThanSignIn: true, showRegisteredHints: true } })).ok).toBe(true);
    const shown = await list('hana');
    expect(shown).toContain('Email me a code<span class="hint"> — Registered: h•••@mail.test</span>');
    expect(shown).toContain('Text me a code<span class="hint"> — Registered: +49 •••• ••78</span>');
    expect(shown).not.toContain('hana.private');
    expect(await list('no.such.user')).not.toContain('Registered:');
  });
});
