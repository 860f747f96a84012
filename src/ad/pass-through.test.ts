import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adConnector } from '../../test/helpers/ad-connector.js';
import { startSambaDc, type SambaDc, type SambaUser } from '../../test/helpers/samba-dc.js';
import type { AdConnector } from './ad-connector.js';

/**
 * Pass-through sign-in (a bind as the user) against a real Samba AD DC: AD's sub-codes become
 * what the user should do; lockout by wrong passwords, unlock, and "must change at next logon".
 */

let dc: SambaDc;
let ad: AdConnector;

beforeAll(async () => {
  dc = await startSambaDc();
  await dc.samba(['domain', 'passwordsettings', 'set', '--account-lockout-threshold=3', '--min-pwd-age=0']);
  ad = adConnector(dc);
}, 120_000);

afterAll(async () => {
  await ad?.close();
  await dc?.stop();
});

async function lockOut(user: SambaUser): Promise<void> {
  for (let i = 0; i < 3; i++) expect(await ad.bindAsUser(user.guid, `Wrong!Guess#${i}`)).toMatchObject({ ok: false, reason: 'wrong_password' });
}

describe('pass-through sign-in', () => {
  it('accepts the right password', async () => {
    const u = await dc.addUser('pt-ok', 'Pass!Through#1');
    expect(await ad.bindAsUser(u.guid, 'Pass!Through#1')).toEqual({ ok: true });
  });

  it('wrong password (data 52e)', async () => {
    const u = await dc.addUser('pt-wrong', 'Pass!Through#2');
    expect(await ad.bindAsUser(u.guid, 'Not!It#2')).toMatchObject({ ok: false, reason: 'wrong_password', detail: expect.stringContaining('data 52e') });
  });

  it('never sends an empty password (it would be an anonymous bind, which succeeds)', async () => {
    const u = await dc.addUser('pt-empty', 'Pass!Through#3');
    expect(await ad.bindAsUser(u.guid, '')).toMatchObject({ ok: false, reason: 'wrong_password' });
  });

  it('disabled account (data 533) → contact the helpdesk', async () => {
    const u = await dc.addUser('pt-disabled', 'Pass!Through#4');
    await dc.samba(['user', 'disable', 'pt-disabled']);
    expect(await ad.bindAsUser(u.guid, 'Pass!Through#4')).toMatchObject({ ok: false, reason: 'disabled', detail: expect.stringContaining('data 533') });
  });

  it('expired account (data 701)', async () => {
    const u = await dc.addUser('pt-expired', 'Pass!Through#5');
    await dc.samba(['user', 'setexpiry', 'pt-expired', '--days=0']);
    // --days=0 expires the account at "now"; give the DC clock a moment to pass it.
    await new Promise((r) => setTimeout(r, 1_100));
    expect(await ad.bindAsUser(u.guid, 'Pass!Through#5')).toMatchObject({ ok: false, reason: 'account_expired' });
  });

  it('unknown GUID → not_found, without a bind', async () => {
    expect(await ad.bindAsUser(randomUUID(), 'Whatever!1')).toEqual({ ok: false, reason: 'not_found' });
  });
});

describe('lockout and unlock', () => {
  it('three wrong passwords lock the account (data 775); unlock clears it and the password works again', async () => {
    const u = await dc.addUser('lock-me', 'Lock!Me#First1');
    await lockOut(u);
    expect(await ad.bindAsUser(u.guid, 'Lock!Me#First1')).toMatchObject({ ok: false, reason: 'locked', detail: expect.stringContaining('data 775') });
    expect(await ad.findUserByGuid(u.guid)).toMatchObject({ ok: true, value: { lockedOut: true } });

    expect(await ad.unlock(u.guid)).toEqual({ ok: true });
    expect(await ad.findUserByGuid(u.guid)).toMatchObject({ ok: true, value: { lockedOut: false } });
    expect(await ad.bindAsUser(u.guid, 'Lock!Me#First1')).toEqual({ ok: true });
  });

  it('a reset unlocks in the same request', async () => {
    const u = await dc.addUser('lock-reset', 'Lock!Reset#First1');
    await lockOut(u);
    expect(await ad.reset(u.guid, 'Lock!Reset#Second2')).toEqual({ ok: true, historyEnforced: false });
    expect(await ad.bindAsUser(u.guid, 'Lock!Reset#Second2')).toEqual({ ok: true });
  });

  it('a reset with unlock: false leaves the lockout', async () => {
    const u = await dc.addUser('lock-keep', 'Lock!Keep#First1');
    await lockOut(u);
    expect(await ad.reset(u.guid, 'Lock!Keep#Second2', { unlock: false })).toEqual({ ok: true, historyEnforced: false });
    expect(await ad.bindAsUser(u.guid, 'Lock!Keep#Second2')).toMatchObject({ ok: false, reason: 'locked' });
  });

  it('a locked user cannot change the password: account_locked', async () => {
    const u = await dc.addUser('lock-change', 'Lock!Change#First1');
    await lockOut(u);
    expect(await ad.change(u.guid, 'Lock!Change#First1', 'Lock!Change#Second2')).toMatchObject({ ok: false, reason: 'account_locked' });
  });
});

describe('must change at next logon', () => {
  it('setMustChange(true) makes the bind say must_change (data 773); a change then works; setMustChange(false) lifts it', async () => {
    const u = await dc.addUser('must-change', 'Must!Change#First1');
    expect(await ad.setMustChange(u.guid, true)).toEqual({ ok: true });
    expect(await ad.bindAsUser(u.guid, 'Must!Change#First1')).toMatchObject({ ok: false, reason: 'must_change', detail: expect.stringContaining('data 773') });

    // The user cannot bind, so the change goes over the service connection; AD still checks the current password.
    expect(await ad.change(u.guid, 'Wrong!Current#1', 'Must!Change#Second2')).toMatchObject({ ok: false, reason: 'wrong_password' });
    expect(await ad.change(u.guid, 'Must!Change#First1', 'Must!Change#Second2')).toEqual({ ok: true, historyEnforced: true });
    expect(await ad.bindAsUser(u.guid, 'Must!Change#Second2')).toEqual({ ok: true });

    expect(await ad.setMustChange(u.guid, true)).toEqual({ ok: true });
    expect(await ad.setMustChange(u.guid, false)).toEqual({ ok: true });
    expect(await ad.findUserByGuid(u.guid)).toMatchObject({ ok: true, value: { mustChange: false } });
    expect(await ad.bindAsUser(u.guid, 'Must!Change#Second2')).toEqual({ ok: true });
  });
});
