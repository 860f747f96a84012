import { afterEach, describe, expect, it } from 'vitest';
import { createTestPortal, type TestPortal } from '../../test/helpers/test-portal.js';
import { makeUser } from '../../test/helpers/http-client.js';
import { throttleKeys } from '../state/throttle-keys.js';
import { nameKey } from '../directory/names.js';
import { ADMIN_VIEWER } from './access.js';

/** The read model's counters over a real store and a manual clock: what the helpdesk is told is what the flows will do. */

let tp: TestPortal | undefined;
afterEach(async () => {
  await tp?.cleanup();
  tp = undefined;
});

describe('SupportReader', () => {
  it('a block is shown until it lifts; after it the count stays one short of the threshold, and a window that ran out counts for nothing', async () => {
    // A 1-hour block inside the 24-hour window, so that the count after the block can be seen.
    tp = await createTestPortal({ manualTime: true, config: { throttling: { blockHours: 1 } } });
    const p = tp.portal;
    const user = await makeUser(p, { username: 'sven', password: 'Granite-Willow-Path-31' });
    const limits = p.securityInfoLimits;
    for (let i = 0; i < 5; i++) await p.throttle.recordFailure(throttleKeys.verifyFailures(user.id), limits.verifyFailures);
    const blocked = (await p.support.view(ADMIN_VIEWER, user)).selfService;
    expect(blocked).toMatchObject({ blockedUntil: tp.clock.now() + limits.verifyFailures.baseMs, blockedBy: 'wrong_codes', failedAttempts: 5, threshold: 5, notMe: null });

    tp.clock.advance!(limits.verifyFailures.baseMs + 1);
    // The block lifted; the next wrong code blocks again (lockout.ts keeps the count one short).
    expect((await p.support.view(ADMIN_VIEWER, user)).selfService).toMatchObject({ blockedUntil: null, blockedBy: null, failedAttempts: 4 });

    tp.clock.advance!(limits.verifyFailures.windowMs + 1);
    expect((await p.support.view(ADMIN_VIEWER, user)).selfService.failedAttempts).toBe(0);
  });

  it('too many emails block self-service for their own reason; sign-in lockout is read from the username key', async () => {
    tp = await createTestPortal({ manualTime: true, config: { signIn: { lockoutThreshold: 3 } } });
    const p = tp.portal;
    const user = await makeUser(p, { username: 'Tove.Lind', password: 'Granite-Willow-Path-31' });
    for (let i = 0; i < p.securityInfoLimits.emailSends.threshold; i++) await p.throttle.recordFailure(throttleKeys.emailSends(user.id), p.securityInfoLimits.emailSends);
    const view = await p.support.view(ADMIN_VIEWER, user);
    expect(view.selfService).toMatchObject({ blockedBy: 'email_sends', failedAttempts: 0, codesSent: { email: p.securityInfoLimits.emailSends.threshold, phone: 0 } });
    expect(view.signIn).toEqual({ lockedUntil: null, failures: 0 });

    for (let i = 0; i < 3; i++) expect((await p.signIn.attempt({ username: 'tove.lind', password: 'wrong guess', ip: '198.51.100.4', userAgent: 'test', browserId: 'browser-1', next: '/' })).ok).toBe(false);
    const locked = (await p.support.view(ADMIN_VIEWER, user)).signIn;
    expect(locked.failures).toBe(3);
    expect(locked.lockedUntil).toBeGreaterThan(tp.clock.now());
    expect((await p.throttle.get(throttleKeys.signInUser(nameKey(user.username)))).lockedUntil).toBe(locked.lockedUntil);
  });
});
