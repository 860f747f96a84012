import { describe, expect, it } from 'vitest';
import { useCliSandbox } from '../../test/helpers/cli.js';
import { throttleKeys } from '../state/throttle-keys.js';
import { EXIT } from './context.js';

/** `sspr user support NAME [--json]`: the support page's view of one user from the command line. */

const sb = useCliSandbox('sspr-cli-support-');
const { run: sspr, ok } = sb;

describe('user support', () => {
  it('the helpdesk never sees a full address or number: the list and the JSON show masked contacts, the counters and the events; an unknown user is exit 4', async () => {
    await ok(['user', 'add', 'alice', '--display-name', 'Alice Liddell', '--email', 'alice@example.com', '--password-stdin'], { stdin: ['wonderland 1865\n'] });
    await sb.withPortal(async (portal) => {
      const alice = (await portal.users.byUsername('alice'))!;
      const email = await portal.methods.addContact(alice.id, 'email', 'alice.home@mail.test');
      await portal.methods.confirm(alice.id, email.id);
      const mobile = await portal.methods.addContact(alice.id, 'mobile', '+4915112345678');
      await portal.methods.confirm(alice.id, mobile.id);
      for (let i = 0; i < 2; i++) await portal.throttle.recordFailure(throttleKeys.verifyFailures(alice.id), portal.securityInfoLimits.verifyFailures);
    });
    const full = ['alice@example.com', 'alice.home@mail.test', '+4915112345678', '15112345678'];

    const text = await ok(['user', 'support', 'alice']);
    for (const secret of full) expect(text).not.toContain(secret);
    expect(text).toMatch(/^username: {6}alice$/m);
    expect(text).toMatch(/^email: {9}a•••@example\.com$/m);
    expect(text).toMatch(/^self-service: {2}Self-service available$/m);
    expect(text).toMatch(/^wrong codes: {3}2 of 5$/m);
    expect(text).toMatch(/^methods: {7}Email a•••@mail\.test \(default\) last used \S+$/m);
    expect(text).toMatch(/^ {15}Mobile phone \+49 •••• ••78 last used \S+$/m);
    expect(text).toMatch(/^recent events: \S+ {2}Account created: succeeded by cli$/m);

    const json = await ok(['user', 'support', 'alice', '--json']);
    for (const secret of full) expect(json).not.toContain(secret);
    const view = JSON.parse(json) as { user: { email: string }; methods: Array<{ masked: string }>; selfService: { failedAttempts: number }; ad: null };
    expect(view.user.email).toBe('a•••@example.com');
    expect(view.methods.map((m) => m.masked)).toEqual(['a•••@mail.test', '+49 •••• ••78']);
    expect(view.selfService.failedAttempts).toBe(2);
    expect(view.ad).toBeNull();

    const nobody = await sspr(['user', 'support', 'nobody']);
    expect(nobody.code).toBe(EXIT.notFound);
    expect(nobody.stderr).toBe('error: no user named nobody\n');
    expect(nobody.stdout).toBe('');
  });
});
