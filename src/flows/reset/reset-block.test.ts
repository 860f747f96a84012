import { describe, expect, it } from 'vitest';
import type { TestPortal } from '../../../test/helpers/test-portal.js';
import { TestClient } from '../../../test/helpers/http-client.js';
import { lastCodeTo } from '../../../test/helpers/outbox.js';
import { throttleKeys } from '../../state/throttle-keys.js';
import { chooseEmail, flowOf, registered, resetPortals, shape, startReset } from '../../../test/helpers/reset-flow.js';

/**
 * The user's side of the block (issue 13, item 5): the code step warns before the last attempt,
 * with the policy's numbers; a blocked user — and anyone who starts again — is told until when
 * and how to reach the helpdesk. A name that matches nobody (a decoy flow) gets the same words at
 * the same count, and the same blocked page.
 */

const portal = resetPortals();
const HELPDESK = 'helpdesk@corp.test';

const warnings = (body: string) => [...body.matchAll(/(\d+ attempts? left before self-service is blocked for [^.<]+\.)/g)].map((m) => m[1]);
const untilIn = (body: string) => /blocked until (\d{4}-\d\d-\d\d \d\d:\d\d UTC) \(for about ([^)]+)\)/.exec(body);
/** The page with the until-time taken out: what must be the same for a real user and a decoy. */
const withoutTime = (r: { status: number; body: string; res: Response }) => {
  const s = shape(r);
  return { ...s, body: s.body.replace(/\d{4}-\d\d-\d\d \d\d:\d\d UTC/g, 'TIME') };
};

/** A wrong code, typed `n` times; the answers (the page after each). */
async function wrongCodes(c: TestClient, flow: string, n: number) {
  const pages = [];
  for (let i = 0; i < n; i++) pages.push(await c.post('/reset/verify/code', { flow, code: '00000001' }));
  return pages;
}

async function setUp(config: Parameters<ReturnType<typeof resetPortals>>[0] = {}) {
  const t = await portal({ branding: { helpdesk: HELPDESK }, ...config }, true);
  const alice = await registered(t.portal, 'alice');
  return { t, alice };
}

/** A flow at the code step: for alice with her real address (a real code was sent), or for a name that matches nobody. */
async function atCodeStep(t: TestPortal, username: string, address: string) {
  const c = new TestClient(t.app);
  const flow = flowOf(await startReset(c, username));
  expect((await chooseEmail(c, flow, address)).status).toBe(303);
  await t.portal.resets.settled();
  return { c, flow };
}

describe('the user’s side of the block', () => {
  it('the reset flow warns before the last attempt and names the block', async () => {
    const { t, alice } = await setUp();
    const threshold = t.config.throttling.failedVerificationsPerDay;
    expect(threshold).toBe(5);
    const { c, flow } = await atCodeStep(t, 'alice', alice.email);
    // No warning while many tries are left.
    expect(warnings((await c.get(`/reset/verify?flow=${flow}`)).body)).toEqual([]);
    const answers = await wrongCodes(c, flow, threshold);
    expect(answers.map((a) => a.status)).toEqual([400, 400, 400, 400, 429]);
    expect(answers.slice(0, 4).map((a) => warnings(a.body))).toEqual([[], [], ['2 attempts left before self-service is blocked for 24 hours.'], ['1 attempt left before self-service is blocked for 24 hours.']]);
    const blocked = answers[4]!;
    const until = untilIn(blocked.body);
    expect(until?.[1]).toBe(new Date(Math.ceil((t.clock.now() + 24 * 3_600_000) / 60_000) * 60_000).toISOString().slice(0, 16).replace('T', ' ') + ' UTC');
    expect(until?.[2]).toBe('24 hours');
    expect(blocked.body).toContain(`href="mailto:${HELPDESK}"`);
    // The real code does not get past the block.
    await c.post('/reset/verify/code', { flow, code: await lastCodeTo(t.portal, alice.email) });
    const after = await c.get(`/reset/verify?flow=${flow}`);
    expect(after.status).toBe(429);
    expect(untilIn(after.body)?.[1]).toBe(until?.[1]);
  });

  it('uses the real numbers: a block of 1 hour after 3 tries', async () => {
    const { t, alice } = await setUp({ throttling: { failedVerificationsPerDay: 3, blockHours: 1 } });
    const { c, flow } = await atCodeStep(t, 'alice', alice.email);
    const answers = await wrongCodes(c, flow, 3);
    expect(answers.slice(0, 2).map((a) => warnings(a.body))).toEqual([['2 attempts left before self-service is blocked for 1 hour.'], ['1 attempt left before self-service is blocked for 1 hour.']]);
    expect(untilIn(answers[2]!.body)?.[2]).toBe('1 hour');
  });

  it('a blocked user who starts again is told until when and how to reach the helpdesk — and so is an unknown name', async () => {
    const { t, alice } = await setUp();
    const real = await atCodeStep(t, 'alice', alice.email);
    const decoy = await atCodeStep(t, 'nobody.here', 'nobody@mail.test');
    // The same warnings at the same count, for a real user's real code and for a name that matches nobody.
    const realAnswers = await wrongCodes(real.c, real.flow, 5);
    const decoyAnswers = await wrongCodes(decoy.c, decoy.flow, 5);
    for (let i = 0; i < 5; i++) expect(withoutTime(decoyAnswers[i]!), `answer ${i + 1}`).toEqual(withoutTime(realAnswers[i]!));

    // An hour later both start again in their browsers: blocked at once, until the same kind of time.
    t.clock.advance!(3_600_000);
    const again = async (who: { c: TestClient }, username: string) => {
      const flow = flowOf(await startReset(who.c, username));
      return who.c.get(`/reset/verify?flow=${flow}`);
    };
    const realAgain = await again(real, 'alice');
    const decoyAgain = await again(decoy, 'nobody.here');
    expect(realAgain.status).toBe(429);
    expect(untilIn(realAgain.body)?.[2]).toBe('23 hours');
    expect(realAgain.body).toContain(`href="mailto:${HELPDESK}"`);
    expect(withoutTime(decoyAgain)).toEqual(withoutTime(realAgain));
    expect(untilIn(decoyAgain.body)?.[2]).toBe('23 hours');

    // A blocked real user starting again from another browser is told too (the block is the account's).
    const elsewhere = await again({ c: new TestClient(t.app) }, 'alice');
    expect(elsewhere.status).toBe(429);
    expect(untilIn(elsewhere.body)).not.toBeNull();
  });

  it('without a helpdesk configured, says to contact the administrator', async () => {
    const t = await portal({}, true);
    const alice = await registered(t.portal, 'alice');
    const { c, flow } = await atCodeStep(t, 'alice', alice.email);
    const blocked = (await wrongCodes(c, flow, 5))[4]!;
    expect(blocked.body).toContain('Contact your administrator.');
    expect(blocked.body).not.toContain('mailto:');
  });

  it('once the helpdesk has lifted the block, the blocked flow says so and offers to start again', async () => {
    const { t, alice } = await setUp();
    const { c, flow } = await atCodeStep(t, 'alice', alice.email);
    await wrongCodes(c, flow, 5);
    // What the helpdesk's unblock clears: the user's counter.
    await t.portal.throttle.reset(throttleKeys.verifyFailures(alice.user.id));
    const page = await c.get(`/reset/verify?flow=${flow}`);
    expect(page.body).toContain('The block has been lifted.');
    expect(page.body).toContain('href="/reset"');
  });
});
