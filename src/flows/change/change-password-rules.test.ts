import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestPortal, type TestPortal } from '../../../test/helpers/test-portal.js';
import { TestClient, makeUser } from '../../../test/helpers/http-client.js';
import { rangeDataset, sha1, startRangeServer, type RangeServer } from '../../../test/helpers/pwned-ranges.js';

const PW = 'correct horse battery';
const LEAKED = 'purple monkey dishwasher 42';
const PATH = '/account/change-password';
const ADMIN = { id: null, name: 'test' };

describe('change password: breached passwords, names and rules edited in the policy', () => {
  let tp: TestPortal;
  let range: RangeServer;
  let browser: TestClient;
  beforeAll(async () => {
    range = await startRangeServer(rangeDataset({ [LEAKED]: 48_213 }));
  });
  afterAll(() => range.close());
  beforeEach(async () => {
    range.requests.length = 0;
    range.behave({});
    tp = await createTestPortal({ config: { branding: { organisationName: 'Probecorp' }, passwords: { breached: { mode: 'hibp', hibpUrl: range.url, timeoutMs: 500 } } } });
    await makeUser(tp.portal, { username: 'alice', password: PW, email: 'alice@corp.example', displayName: 'Alice Andersen' });
    browser = new TestClient(tp.app);
    await browser.signIn('alice', PW);
    await browser.get(PATH);
    range.requests.length = 0;
  });
  afterEach(() => tp.cleanup());

  it('the page says how often a breached password appeared, and the password is not changed', async () => {
    const r = await browser.post(PATH, { current: PW, password: LEAKED, confirm: LEAKED });
    expect(r.status).toBe(400);
    expect(r.body).toContain('This password appeared in a data breach 48,213 times.');
    expect(range.requests.map((q) => q.path)).toEqual([`/range/${sha1(LEAKED).slice(0, 5)}`]);
    expect((await new TestClient(tp.app).signIn('alice', PW)).status).toBe(303);
    // Neither the password nor its hash is in the log.
    expect(tp.logs()).not.toContain(LEAKED);
    expect(tp.logs()).not.toContain(sha1(LEAKED).slice(5));
  });

  it('failure mode closed: when the check cannot be done the user is asked to try again, in plain words', async () => {
    expect((await tp.portal.policy.update(ADMIN, { passwords: { breached: { failureMode: 'closed' } } })).ok).toBe(true);
    range.behave({ status: 502 });
    const r = await browser.post(PATH, { current: PW, password: 'lantern orchid velvet', confirm: 'lantern orchid velvet' });
    expect(r.status).toBe(400);
    expect(r.body).toContain('We could not check this password against known data breaches right now. Try again in a minute.');
    expect(tp.logs()).toContain('breached-password check failed: the range API answered HTTP 502; the password was refused');
    expect(await tp.portal.metrics.registry.getSingleMetricAsString('sspr_breached_check_failures_total')).toContain('outcome="refused"} 1');
  });

  it('failure mode open (the default): the password is accepted and the failure counted', async () => {
    range.behave({ status: 502 });
    const r = await browser.post(PATH, { current: PW, password: 'lantern orchid velvet', confirm: 'lantern orchid velvet' });
    expect(r.status).toBe(303);
    expect(await tp.portal.metrics.registry.getSingleMetricAsString('sspr_breached_check_failures_total')).toContain('outcome="accepted"} 1');
  });

  it('refuses the organisation name and the username with the page saying which', async () => {
    const org = await browser.post(PATH, { current: PW, password: 'Probecorp#2025x', confirm: 'Probecorp#2025x' });
    expect(org.status).toBe(400);
    expect(org.body).toContain('It contains the name of the organisation.');
    const own = await browser.post(PATH, { current: PW, password: 'alice28Zq8#k2-Andersen', confirm: 'alice28Zq8#k2-Andersen' });
    expect(own.body).toContain('It is too similar to your name or username.');
    expect((await new TestClient(tp.app).signIn('alice', PW)).status).toBe(303);
  });

  it('rules saved in the policy apply at once: a longer minimum is shown and enforced', async () => {
    expect((await tp.portal.policy.update(ADMIN, { passwords: { minLength: 24, breached: { mode: 'off' } } })).ok).toBe(true);
    const page = await browser.get(PATH);
    expect(page.body).toContain('24');
    const r = await browser.post(PATH, { current: PW, password: 'lantern orchid velvet', confirm: 'lantern orchid velvet' });
    expect(r.status).toBe(400);
    expect(r.body).toContain('Use at least 24 characters.');
    expect(range.requests).toHaveLength(0);
  });
});
