import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestClient } from '../../../test/helpers/http-client.js';
import { rangeDataset, startRangeServer, type RangeServer } from '../../../test/helpers/pwned-ranges.js';
import { NEW_PASSWORD, flowOf, passEmail, registered, resetPortals, signInWorks, startReset } from '../../../test/helpers/reset-flow.js';

/**
 * The new-password step of a reset with the breached-password check on (a loopback range API
 * serving a generated dataset) and the names rule: the page lists exactly the rules in force, a
 * breached password is refused with how often it appeared and the flow goes on to a good one.
 */

const LEAKED = 'Orange-Harbour-Sunset-1999';

describe('reset: breached passwords and the rules the page lists', () => {
  let range: RangeServer;
  beforeAll(async () => {
    range = await startRangeServer(rangeDataset({ [LEAKED]: 2_048 }));
  });
  afterAll(() => range.close());
  const portal = resetPortals();

  async function verified(config: Parameters<typeof portal>[0]) {
    const t = await portal(config);
    const { email } = await registered(t.portal, 'alice');
    const browser = new TestClient(t.app);
    const flow = flowOf(await startReset(browser, 'alice'));
    expect((await passEmail(t, browser, flow, email)).status).toBe(303);
    return { t, browser, flow };
  }

  it('refuses a breached password with how often it appeared; the same flow then takes a good one', async () => {
    const { t, browser, flow } = await verified({ branding: { organisationName: 'Probecorp' }, passwords: { breached: { mode: 'hibp', hibpUrl: range.url } } });
    const page = await browser.get(`/reset/verify?flow=${flow}`);
    expect(page.body).toContain('not be a password that appeared in a known data breach');
    expect(page.body).toContain('not contain your name, username or the organisation name');
    const leaked = await browser.post('/reset/password', { flow, password: LEAKED, confirm: LEAKED });
    expect(leaked.status).toBe(400);
    expect(leaked.body).toContain('This password appeared in a data breach 2,048 times.');
    expect(await signInWorks(t, 'alice', LEAKED)).toBe(false);
    const org = await browser.post('/reset/password', { flow, password: 'Probecorp#2025x', confirm: 'Probecorp#2025x' });
    expect(org.body).toContain('It contains the name of the organisation.');
    expect((await browser.post('/reset/password', { flow, password: NEW_PASSWORD, confirm: NEW_PASSWORD })).status).toBe(303);
    expect(await signInWorks(t, 'alice', NEW_PASSWORD)).toBe(true);
  });

  it('does not promise what is off: no breached line without the check, no names line without the names rule', async () => {
    const { browser, flow } = await verified({ passwords: { refuseNames: false } });
    const page = await browser.get(`/reset/verify?flow=${flow}`);
    expect(page.body).toContain('Choose a new password');
    expect(page.body).not.toContain('appeared in a known data breach');
    expect(page.body).not.toContain('not contain your name, username or the organisation name');
  });
});
