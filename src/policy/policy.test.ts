import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestPortal, dialects, type TestPortal } from '../../test/helpers/test-portal.js';
import { makeUser } from '../../test/helpers/http-client.js';
import { configSchema } from '../config/schema.js';
import { isMessageKey } from '../i18n/index.js';
import { ADMIN_METHODS, changedPaths, effectiveFor, initialPolicy, policySchema } from './policy.js';
import { PolicyService } from './policy-service.js';

/**
 * The stored SSPR policy, through the real PolicyService on a fresh store of each dialect:
 * versions, concurrent saves, validation, the audit trail and who is in scope.
 */

const ADA = { id: null, name: 'ada' };
const BEN = { id: null, name: 'ben' };

describe('policy messages', () => {
  it('every validation message the policy can give is in the catalogue', () => {
    const sources = ['policy.ts', 'policy-service.ts'].map((f) => readFileSync(new URL(f, import.meta.url), 'utf8')).join('\n');
    const keys = new Set([...sources.matchAll(/'((?:v\.policy|policy)\.[A-Za-z.]+)'/g)].map((m) => m[1]!));
    expect(keys.size).toBeGreaterThan(15);
    expect([...keys].filter((k) => !isMessageKey(k))).toEqual([]);
  });

  it('changedPaths names leaf settings and treats lists as one value', () => {
    const a = initialPolicy(configSchema.parse({}));
    const b = { ...a, methodsAvailable: ['email'], questions: { ...a.questions, toAnswer: 4 } };
    expect(changedPaths(a, b)).toEqual(['methodsAvailable', 'questions.toAnswer']);
    expect(changedPaths(a, a)).toEqual([]);
  });
});

describe.each(dialects)('policy service on %s', (dialect) => {
  let tp: TestPortal;
  let policy: PolicyService;
  beforeEach(async () => {
    tp = await createTestPortal({ dialect });
    policy = tp.portal.policy;
  });
  afterEach(() => tp.cleanup());

  const auditRows = () => tp.store.db.selectFrom('audit_events').selectAll().where('event', '=', 'policy_changed').orderBy('id').execute();

  it('starts at version 0 from the configuration, with no stored versions', async () => {
    const v = await policy.refresh();
    expect(v.version).toBe(0);
    expect(v.changedBy).toBeNull();
    expect(policySchema.safeParse(v.policy).success).toBe(true);
    expect(await policy.history()).toEqual([]);
    expect((await policy.version(0))?.policy).toEqual(v.policy);
  });

  it('each save appends a version; earlier versions stay readable as they were', async () => {
    const v1 = await policy.update(ADA, { methodsRequired: 2 }, { comment: 'two gates for all' });
    expect(v1.ok && v1.value.version).toBe(1);
    const v2 = await policy.update(BEN, { questions: { toAnswer: 3, toRegister: 5 } });
    expect(v2.ok && v2.value.version).toBe(2);
    const current = await policy.refresh();
    expect(current).toMatchObject({ version: 2, changedBy: 'ben', comment: null });
    expect(current.policy.methodsRequired).toBe(2);
    expect(current.policy.questions.toRegister).toBe(5);
    const first = (await policy.version(1))!;
    expect(first).toMatchObject({ version: 1, changedBy: 'ada', comment: 'two gates for all' });
    expect(first.policy.questions.toRegister).toBe(3);
    expect((await policy.history()).map((v) => v.version)).toEqual([2, 1]);
    expect(await policy.version(3)).toBeNull();
  });

  it('a version stored before "never weaker than sign-in" existed reads with it on, and a save keeps it', async () => {
    const { reset: _reset, ...older } = initialPolicy(tp.config);
    await tp.store.db.insertInto('policy_versions').values({ version: 1, document: JSON.stringify({ ...older, methodsRequired: 1 }), created_at: 1, actor_id: null, actor_name: 'old release', comment: null }).execute();
    expect((await policy.refresh()).policy.reset).toEqual({ neverWeakerThanSignIn: true, showRegisteredHints: false });
    const saved = await policy.update(ADA, { reset: { neverWeakerThanSignIn: false } });
    expect(saved.ok && saved.value.policy.reset).toEqual({ neverWeakerThanSignIn: false, showRegisteredHints: false });
    expect((await policy.update(ADA, { reset: { neverWeakerThanSignIn: 'yes' } })).ok).toBe(false);
    expect((await policy.refresh()).policy.reset.neverWeakerThanSignIn).toBe(false);
  });

  it('a save that changes nothing stores no version and writes no audit row', async () => {
    const before = await policy.refresh();
    const r = await policy.update(ADA, { methodsRequired: before.policy.methodsRequired });
    expect(r.ok && r.value.version).toBe(0);
    expect(await policy.history()).toEqual([]);
    expect(await auditRows()).toEqual([]);
  });

  it('two saves on top of the same version: exactly one wins, the other is a conflict and nothing of it is stored', async () => {
    await policy.update(ADA, { methodsRequired: 2 });
    const seen = (await policy.refresh()).version;
    expect(seen).toBe(1);
    // A second portal instance on the same store, as behind a load balancer.
    const other = new PolicyService({ store: tp.store, clock: tp.clock, audit: tp.portal.audit, groups: tp.portal.groups, initial: initialPolicy(tp.config) });
    const [a, b] = await Promise.all([
      policy.update(ADA, { registration: { reconfirmDays: 30 } }, { expectedVersion: seen }),
      other.update(BEN, { registration: { reconfirmDays: 60 } }, { expectedVersion: seen }),
    ]);
    const outcomes = [a, b];
    expect(outcomes.filter((o) => o.ok)).toHaveLength(1);
    const lost = outcomes.find((o) => !o.ok)!;
    expect(lost).toEqual({ ok: false, reason: 'conflict' });
    const now = await policy.refresh();
    expect(now.version).toBe(seen + 1);
    expect(now.policy.registration.reconfirmDays).toBe(a.ok ? 30 : 60);
    expect((await policy.history()).map((v) => v.version)).toEqual([seen + 1, seen]);
    // The loser, told of the conflict, saves again on top of what is stored now.
    const retry = await (a.ok ? other : policy).update(a.ok ? BEN : ADA, { registration: { reconfirmDays: 90 } }, { expectedVersion: now.version });
    expect(retry.ok && retry.value.version).toBe(seen + 2);
  });

  it('a save based on an old version is refused even when nobody saves at the same moment', async () => {
    await policy.update(ADA, { methodsRequired: 2 });
    const r = await policy.update(BEN, { methodsRequired: 1 }, { expectedVersion: 0 });
    expect(r).toEqual({ ok: false, reason: 'conflict' });
    expect((await policy.refresh()).policy.methodsRequired).toBe(2);
  });

  it('an invalid document is refused with every problem at once, and nothing is stored', async () => {
    const r = await policy.update(ADA, {
      enabledFor: 'some',
      methodsRequired: 3,
      methodsAvailable: ['email', 'carrier_pigeon'],
      questions: { toRegister: 7, custom: ['ok?', 'x'] },
      registration: { required: 'yes', reconfirmDays: 1000 },
      notifications: { usersOnReset: 1 },
      customization: { helpdesk: 'call Bob' },
      onPremises: { writeback: null },
    });
    expect(r.ok).toBe(false);
    if (r.ok || r.reason !== 'invalid') throw new Error('expected invalid');
    expect(r.errors).toEqual({
      enabledFor: 'v.policy.enabledFor',
      methodsRequired: 'v.policy.methodsRequired',
      'methodsAvailable.1': 'v.policy.method',
      'questions.toRegister': 'v.policy.questionCount',
      'questions.custom.1': 'v.policy.customQuestion',
      'registration.required': 'v.policy.boolean',
      'registration.reconfirmDays': 'v.policy.reconfirmDays',
      'notifications.usersOnReset': 'v.policy.boolean',
      'customization.helpdesk': 'v.policy.helpdesk',
      'onPremises.writeback': 'v.policy.boolean',
    });
    for (const key of Object.values(r.errors)) expect(isMessageKey(key)).toBe(true);
    expect((await policy.refresh()).version).toBe(0);
    expect(await policy.history()).toEqual([]);
    expect(await auditRows()).toEqual([]);
  });

  it('rules across settings are refused with the setting to fix', async () => {
    const cases: Array<[unknown, Record<string, string>]> = [
      [{ questions: { toRegister: 3, toAnswer: 5 } }, { 'questions.toAnswer': 'v.policy.toAnswer' }],
      [{ methodsRequired: 2, methodsAvailable: ['mobile_sms', 'mobile_voice'] }, { methodsAvailable: 'v.policy.tooFewMethods' }],
      [{ methodsAvailable: ['email', 'email', 'totp'] }, { methodsAvailable: 'v.policy.methodsDuplicate' }],
      [{ methodsAvailable: [] }, { methodsAvailable: 'v.policy.methodsAvailable' }],
      [{ enabledFor: 'selected', groups: [] }, { groups: 'v.policy.groupsRequired' }],
      [{ questions: { custom: ['Your first car?', 'your FIRST car?'] } }, { 'questions.custom': 'v.policy.customQuestionDuplicate' }],
      [{ questions: { custom: Array.from({ length: 21 }, (_, i) => `Question number ${i}?`) } }, { 'questions.custom': 'v.policy.customQuestionsTooMany' }],
      [{ groups: ['not-a-uuid'] }, { 'groups.0': 'v.policy.groupId' }],
      [['methodsRequired', 2], { _form: 'v.policy.document' }],
    ];
    for (const [patch, errors] of cases) {
      const r = await policy.update(ADA, patch);
      expect(r, JSON.stringify(patch)).toEqual({ ok: false, reason: 'invalid', errors });
    }
    expect(await policy.history()).toEqual([]);
  });

  it('a group that does not exist is refused and nothing is stored', async () => {
    const pilot = await tp.portal.groups.create({ name: 'Pilot' });
    const r = await policy.update(ADA, { enabledFor: 'selected', groups: [pilot.id, randomUUID()] });
    expect(r).toEqual({ ok: false, reason: 'invalid', errors: { 'groups.1': 'v.policy.groupUnknown', groups: 'v.policy.groupUnknown' } });
    expect((await policy.refresh()).version).toBe(0);
    const ok = await policy.update(ADA, { enabledFor: 'selected', groups: [pilot.id] });
    expect(ok.ok).toBe(true);
  });

  it('each save is audited as policy_changed with who, the version, the settings changed and the comment', async () => {
    await policy.update({ id: null, name: 'ada', ip: '192.0.2.7', userAgent: 'test-agent' }, { methodsRequired: 2, questions: { toAnswer: 3, toRegister: 4 }, customization: { helpdesk: 'https://help.example.com' } }, { comment: '  pilot done  ' });
    await policy.update(BEN, { onPremises: { allowUnlock: false } });
    const rows = await auditRows();
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({ outcome: 'success', actor_name: 'ada', ip: '192.0.2.7' });
    expect(JSON.parse(rows[0]!.details)).toEqual({ version: 1, changed: 'methodsRequired,questions.toRegister,customization.helpdesk', comment: 'pilot done' });
    expect(rows[1]).toMatchObject({ actor_name: 'ben' });
    expect(JSON.parse(rows[1]!.details)).toEqual({ version: 2, changed: 'onPremises.allowUnlock' });
  });

  it('inScope: nobody for "none", members of a chosen group (also through a nested group) for "selected", everyone for "all"', async () => {
    const staff = await tp.portal.groups.create({ name: 'Staff' });
    const pilot = await tp.portal.groups.create({ name: 'Pilot' });
    await tp.portal.groups.addMember(staff.id, { type: 'group', id: pilot.id });
    const alice = await makeUser(tp.portal, { username: 'alice' });
    const carol = await makeUser(tp.portal, { username: 'carol' });
    const dave = await makeUser(tp.portal, { username: 'dave' });
    await tp.portal.groups.addMember(pilot.id, { type: 'user', id: alice.id });
    await tp.portal.groups.addMember(staff.id, { type: 'user', id: carol.id });

    const scope = async () => ({ alice: await policy.inScope(alice), carol: await policy.inScope(carol), dave: await policy.inScope(dave) });
    expect(await policy.update(ADA, { enabledFor: 'none' })).toMatchObject({ ok: true });
    await policy.refresh();
    expect(await scope()).toEqual({ alice: false, carol: false, dave: false });

    // Staff contains Pilot: alice is in Staff through the nested group.
    expect(await policy.update(ADA, { enabledFor: 'selected', groups: [staff.id] })).toMatchObject({ ok: true });
    await policy.refresh();
    expect(await scope()).toEqual({ alice: true, carol: true, dave: false });
    expect(await policy.update(ADA, { groups: [pilot.id] })).toMatchObject({ ok: true });
    await policy.refresh();
    expect(await scope()).toEqual({ alice: true, carol: false, dave: false });

    expect(await policy.update(ADA, { enabledFor: 'all' })).toMatchObject({ ok: true });
    await policy.refresh();
    expect(await scope()).toEqual({ alice: true, carol: true, dave: true });
    expect(await policy.inScope({ ...dave, enabled: false })).toBe(false);
  });

  it('administrators are always in scope and always get the two-gate policy (two methods, no security questions)', async () => {
    const root = await makeUser(tp.portal, { username: 'root', roles: ['administrator'] });
    const r = await policy.update(ADA, { enabledFor: 'none', methodsRequired: 1, methodsAvailable: ['questions', 'email'] });
    expect(r.ok).toBe(true);
    await policy.refresh();
    expect(await policy.inScope(root)).toBe(true);
    const admin = await policy.effectiveFor(root);
    expect(admin.required).toBe(2);
    expect(admin.admin).toBe(true);
    expect(admin.available).toEqual(ADMIN_METHODS);
    expect(admin.available).not.toContain('questions');
    expect(admin.gates.has('questions')).toBe(false);
    const user = await policy.effectiveFor({ roles: ['user'] });
    expect(user).toMatchObject({ required: 1, admin: false, available: ['questions', 'email'] });
    expect(effectiveFor((await policy.current()).policy, { roles: ['user', 'administrator'] }).required).toBe(2);
  });
});
