import { z } from 'zod';
import type { AuditLog } from '../audit/audit-log.js';
import { checkPassword, fieldErrorKey, userInputsOf, type PasswordContext, type PasswordReason, type PasswordVerdict } from '../passwords/check.js';
import type { PasswordHistory } from '../passwords/history.js';
import type { BreachedAnswer, BreachedRules } from '../passwords/breached.js';
import { parseInput, type FieldErrors } from '../shared/validation.js';
import type { GroupStore, Group } from './groups.js';
import { descriptionSchema, displayNameSchema, groupNameSchema, optionalEmailSchema, roleSchema, usernameSchema, type Role } from './names.js';
import type { PasswordHasher } from '../passwords/password-hash.js';
import type { StrengthEstimator } from '../passwords/strength-pool.js';
import type { User, UserStore } from './users.js';

export interface Actor {
  id: string | null;
  name: string;
  ip?: string | null;
  userAgent?: string | null;
}

/**
 * Outcomes the console and the CLI show; `message` is a catalogue key. A refused password gives
 * `errors.password` (the first reason, for one-message-per-field forms) and `passwordReasons`
 * (every reason with its values, for pages that list them all).
 */
export type Outcome<T> =
  | { ok: true; value: T }
  | { ok: false; reason: 'invalid'; errors: FieldErrors; passwordReasons?: PasswordReason[] }
  | { ok: false; reason: 'not_found' | 'conflict' | 'refused'; message: string };

/** The password rules in force (the policy's `passwords`; historyCount goes to the PasswordHistory). */
export interface PasswordRules {
  minLength: number;
  maxLength: number;
  minScore?: number;
  checkCommon?: boolean;
  refuseNames?: boolean;
  bannedCustom?: readonly string[];
  breached?: BreachedRules;
}

/** Where breached passwords are looked up, and who is told when that fails (metrics, log). */
export interface BreachedCheck {
  lookup: { count(password: string, rules: BreachedRules): Promise<BreachedAnswer> };
  onFailure?: (problem: string, failureMode: BreachedRules['failureMode']) => void;
}

export const newUserSchema = z.object({
  username: usernameSchema,
  displayName: displayNameSchema,
  email: optionalEmailSchema.default(''),
  roles: z.array(roleSchema).max(3).default(['user']),
  password: z.string({ error: 'v.field.invalid' }).max(4096, 'v.password.tooLong').default(''),
});

export const newGroupSchema = z.object({ name: groupNameSchema, description: descriptionSchema.default('') });

interface Deps {
  users: UserStore;
  groups: GroupStore;
  hasher: PasswordHasher;
  audit: AuditLog;
  sessions: { revokeAllForUser(userId: string, options?: { exceptIdHash?: string }): Promise<number> };
  /** The user's open flows, voided when the password changes; without it none are (the directory's own unit tests). */
  flows?: { voidFlowsOf(userId: string, options: { reason: 'password_changed'; except?: string }): Promise<number> };
  /** The rules, or how to get the ones in force now (they are edited in the policy). */
  passwordRules: PasswordRules | (() => PasswordRules | Promise<PasswordRules>);
  /** The organisation's name, refused inside passwords: the saved brand's, read when a password is checked. */
  organisationName?: string | (() => string | Promise<string>);
  breached?: BreachedCheck;
  /** Cloud users' last passwords; without it nothing is remembered or refused as reused. */
  passwordHistory?: PasswordHistory;
  /** Where the strength estimate is computed (the portal's worker pool); default this thread. */
  strength?: StrengthEstimator;
  /** The policy's `helpdesk.temporaryPasswords`: whether an administrator may set another user's password; without it they may. */
  temporaryPasswords?: () => boolean | Promise<boolean>;
  /** What still relies on a group (the policy's scope): a reason it may not be deleted, or null. */
  groupInUse?: (groupId: string) => Promise<string | null>;
}

/**
 * Administrative operations on the cloud directory. The console, the CLI and (later) the API
 * all call these, so every rule — validation, the last-administrator guard, session revocation,
 * the audit record — holds whichever door was used.
 */
export class DirectoryService {
  constructor(private readonly deps: Deps) {}

  /**
   * The rules without the history, for a live strength meter while the user types; nor the
   * breached check, which would send a range request for every keystroke (it runs on submit).
   */
  async previewPassword(password: string, user: { username?: string | null; displayName?: string | null; email?: string | null }): Promise<PasswordVerdict> {
    return checkPassword(password, { ...(await this.passwordContext(user)), history: undefined, breached: undefined });
  }

  /** Every rule, the breached check included, for an administrator testing the rules (`sspr password check`, the API); never the history. */
  async testPassword(password: string, user: { username?: string | null; displayName?: string | null; email?: string | null }): Promise<PasswordVerdict> {
    return checkPassword(password, { ...(await this.passwordContext(user)), history: undefined });
  }

  /** The rules in force now. */
  async passwordRules(): Promise<PasswordRules> {
    const r = this.deps.passwordRules;
    return typeof r === 'function' ? r() : r;
  }

  /** The configured rules for this user; the history only for an existing cloud user (`onRulesPassed` runs as its check starts). */
  private async passwordContext(user: { id?: string; username?: string | null; displayName?: string | null; email?: string | null }, onRulesPassed?: () => void): Promise<PasswordContext> {
    const r = await this.passwordRules();
    const history = this.deps.passwordHistory;
    const userId = user.id;
    const breached = this.deps.breached;
    return {
      minLength: r.minLength,
      maxLength: r.maxLength,
      minScore: r.minScore,
      checkCommon: r.checkCommon,
      refuseNames: r.refuseNames,
      customBanned: r.bannedCustom,
      breached: breached && r.breached && r.breached.mode !== 'off' ? { rules: r.breached, lookup: breached.lookup, onFailure: breached.onFailure } : undefined,
      organisationName: typeof this.deps.organisationName === 'function' ? await this.deps.organisationName() : this.deps.organisationName,
      userInputs: userInputsOf(user),
      estimator: this.deps.strength,
      history:
        history && userId
          ? {
              isReused: (pw) => {
                onRulesPassed?.();
                return history.isReused(userId, pw, this.deps.hasher);
              },
            }
          : undefined,
    };
  }

  /** Every password rule for this user; the history only for an existing cloud user. */
  private async passwordProblem(password: string, user: { id?: string; username?: string | null; displayName?: string | null; email?: string | null }, onRulesPassed?: () => void): Promise<{ errors: FieldErrors; reasons: PasswordReason[] } | null> {
    const verdict = await checkPassword(password, await this.passwordContext(user, onRulesPassed));
    const key = fieldErrorKey(verdict.reasons);
    return key ? { errors: { password: key }, reasons: verdict.reasons } : null;
  }

  /** Keeps a newly set password's hash in the user's history. */
  private async remember(userId: string, passwordHash: string): Promise<void> {
    await this.deps.passwordHistory?.remember(userId, passwordHash);
  }

  private audit(actor: Actor, event: string, outcome: 'success' | 'failure', target: { id: string | null; name: string | null }, details: Record<string, string | number | boolean | null> = {}) {
    return this.deps.audit.record({ event, outcome, actor: { id: actor.id, name: actor.name }, target, ip: actor.ip ?? null, userAgent: actor.userAgent ?? null, details });
  }

  async createUser(actor: Actor, input: unknown): Promise<Outcome<User>> {
    const parsed = parseInput(newUserSchema, input);
    // Report every problem at once: the password is checked even when other fields are wrong.
    const raw = (input ?? {}) as { password?: unknown; username?: unknown; displayName?: unknown; email?: unknown };
    const text = (v: unknown) => (typeof v === 'string' ? v.slice(0, 320) : null);
    const passwordProblem =
      typeof raw.password === 'string' && raw.password !== '' ? await this.passwordProblem(raw.password, { username: text(raw.username), displayName: text(raw.displayName), email: text(raw.email) }) : null;
    if (!parsed.ok || passwordProblem) {
      return { ok: false, reason: 'invalid', errors: { ...(parsed.ok ? {} : parsed.errors), ...passwordProblem?.errors }, ...(passwordProblem ? { passwordReasons: passwordProblem.reasons } : {}) };
    }
    const v = parsed.value;
    if (await this.deps.users.byUsername(v.username)) return { ok: false, reason: 'conflict', message: 'users.exists' };
    const passwordHash = v.password ? await this.deps.hasher.hash(v.password) : null;
    try {
      const user = await this.deps.users.create({ username: v.username, displayName: v.displayName, email: v.email, roles: v.roles, passwordHash });
      if (passwordHash) await this.remember(user.id, passwordHash);
      await this.audit(actor, 'user_created', 'success', { id: user.id, name: user.username }, { roles: user.roles.join(',') });
      return { ok: true, value: user };
    } catch (err) {
      // A parallel create of the same name loses on the unique index.
      if (await this.deps.users.byUsername(v.username)) return { ok: false, reason: 'conflict', message: 'users.exists' };
      throw err;
    }
  }

  async setEnabled(actor: Actor, userId: string, enabled: boolean): Promise<Outcome<User>> {
    const user = await this.deps.users.byId(userId);
    if (!user) return { ok: false, reason: 'not_found', message: 'users.notFound' };
    if (!enabled) {
      if (actor.id === user.id) return { ok: false, reason: 'refused', message: 'users.refuse.selfDisable' };
      if (user.enabled && user.roles.includes('administrator') && (await this.deps.users.countEnabledWithRole('administrator')) <= 1) {
        return { ok: false, reason: 'refused', message: 'users.refuse.lastAdmin' };
      }
    }
    await this.deps.users.setEnabled(user.id, enabled);
    const revoked = enabled ? 0 : await this.deps.sessions.revokeAllForUser(user.id);
    await this.audit(actor, enabled ? 'user_enabled' : 'user_disabled', 'success', { id: user.id, name: user.username }, { sessionsRevoked: revoked });
    return { ok: true, value: (await this.deps.users.byId(user.id))! };
  }

  /**
   * The password rules (and for cloud users the history) without changing anything: for flows
   * that hand the password to someone else to apply (writeback to Active Directory).
   */
  async checkNewPassword(user: User, input: { password: unknown; confirm?: unknown }): Promise<Outcome<string>> {
    if (typeof input.password !== 'string') return { ok: false, reason: 'invalid', errors: { password: 'v.password.empty' } };
    const problem = await this.passwordProblem(input.password, user.source === 'cloud' ? user : { ...user, id: undefined });
    if (problem) return { ok: false, reason: 'invalid', errors: problem.errors, passwordReasons: problem.reasons };
    if (input.confirm !== undefined && input.confirm !== input.password) return { ok: false, reason: 'invalid', errors: { confirm: 'v.password.mismatch' } };
    return { ok: true, value: input.password };
  }

  /**
   * Whether an administrator may set another user's password (the console, the CLI, AD through
   * the agent): the policy's `helpdesk.temporaryPasswords`. Pages read it to hide the forms.
   */
  async temporaryPasswordsAllowed(): Promise<boolean> {
    return (await this.deps.temporaryPasswords?.()) ?? true;
  }

  /**
   * Without options: an administrator sets the password (refused when the policy switched that
   * off). `ownSessionIdHash`: the user changes their own. `auditEvent`: a flow that proved the
   * user (a reset) sets it. `exceptFlowId`: the reset flow that sets the password (every other
   * open flow of the user is voided).
   */
  async setPassword(actor: Actor, userId: string, input: { password: unknown; confirm?: unknown }, options: { ownSessionIdHash?: string; auditEvent?: string; exceptFlowId?: string } = {}): Promise<Outcome<User>> {
    const user = await this.deps.users.byId(userId);
    if (!user) return { ok: false, reason: 'not_found', message: 'users.notFound' };
    const byAdministrator = options.auditEvent === undefined && !(options.ownSessionIdHash !== undefined && actor.id === user.id);
    if (byAdministrator && !(await this.temporaryPasswordsAllowed())) return { ok: false, reason: 'refused', message: 'users.refuse.temporaryPasswordsOff' };
    if (typeof input.password !== 'string') return { ok: false, reason: 'invalid', errors: { password: 'v.password.empty' } };
    const password = input.password;
    const mismatch = input.confirm !== undefined && input.confirm !== password;
    // A cloud user's new hash is computed while the history is checked (argon2 both, on libuv's
    // threads), once the rules passed; a reused password's hash is thrown away.
    const early: { hash?: Promise<string> } = {};
    const startHash =
      user.source === 'cloud' && !mismatch
        ? () => {
            early.hash ??= this.deps.hasher.hash(password);
          }
        : undefined;
    // Hybrid users' passwords are AD's (history included): only the rules are checked for them.
    const problem = await this.passwordProblem(password, user.source === 'cloud' ? user : { ...user, id: undefined }, startHash);
    if (problem) {
      early.hash?.catch(() => undefined);
      return { ok: false, reason: 'invalid', errors: problem.errors, passwordReasons: problem.reasons };
    }
    if (mismatch) return { ok: false, reason: 'invalid', errors: { confirm: 'v.password.mismatch' } };
    if (user.source === 'onprem') return { ok: false, reason: 'refused', message: 'users.refuse.onprem' };
    // A user changing their own password keeps the session they are using; every other one ends.
    const self = options.ownSessionIdHash !== undefined && actor.id === user.id;
    const hash = await (early.hash ?? this.deps.hasher.hash(password));
    await this.deps.users.setPasswordHash(user.id, hash);
    await this.remember(user.id, hash);
    const revoked = await this.deps.sessions.revokeAllForUser(user.id, self ? { exceptIdHash: options.ownSessionIdHash } : {});
    // Whatever another browser had proved with the old password or the user's methods is void now.
    const flowsVoided = (await this.deps.flows?.voidFlowsOf(user.id, { reason: 'password_changed', ...(options.exceptFlowId ? { except: options.exceptFlowId } : {}) })) ?? 0;
    await this.audit(actor, options.auditEvent ?? (self ? 'password_changed' : 'password_set_by_admin'), 'success', { id: user.id, name: user.username }, { sessionsRevoked: revoked, flowsVoided });
    return { ok: true, value: (await this.deps.users.byId(user.id))! };
  }

  /**
   * Changes a cloud user's display name and/or directory email (a hybrid user's come from Active
   * Directory with each sync). Audited with the fields that changed, not their values.
   */
  async updateProfile(actor: Actor, userId: string, input: unknown): Promise<Outcome<User>> {
    const parsed = parseInput(z.object({ displayName: displayNameSchema.optional(), email: optionalEmailSchema.optional() }), input);
    if (!parsed.ok) return { ok: false, reason: 'invalid', errors: parsed.errors };
    const user = await this.deps.users.byId(userId);
    if (!user) return { ok: false, reason: 'not_found', message: 'users.notFound' };
    if (user.source === 'onprem') return { ok: false, reason: 'refused', message: 'users.refuse.onpremProfile' };
    const { displayName, email } = parsed.value;
    const changes = {
      ...(displayName !== undefined && displayName !== user.displayName ? { displayName } : {}),
      ...(email !== undefined && email !== user.email ? { email } : {}),
    };
    const fields = Object.keys(changes);
    if (fields.length === 0) return { ok: true, value: user };
    await this.deps.users.updateProfile(user.id, changes);
    await this.audit(actor, 'profile_changed', 'success', { id: user.id, name: user.username }, { changed: fields.join(',') });
    return { ok: true, value: (await this.deps.users.byId(user.id))! };
  }

  async setRoles(actor: Actor, userId: string, rolesInput: unknown): Promise<Outcome<User>> {
    const parsed = parseInput(z.array(roleSchema).max(3), rolesInput);
    if (!parsed.ok) return { ok: false, reason: 'invalid', errors: { roles: 'v.role.invalid' } };
    const user = await this.deps.users.byId(userId);
    if (!user) return { ok: false, reason: 'not_found', message: 'users.notFound' };
    const next: Role[] = parsed.value.length ? parsed.value : ['user'];
    const losesAdmin = user.roles.includes('administrator') && !next.includes('administrator');
    if (losesAdmin && actor.id === user.id) return { ok: false, reason: 'refused', message: 'users.refuse.selfDemote' };
    if (losesAdmin && user.enabled && (await this.deps.users.countEnabledWithRole('administrator')) <= 1) {
      return { ok: false, reason: 'refused', message: 'users.refuse.lastAdmin' };
    }
    await this.deps.users.setRoles(user.id, next);
    await this.audit(actor, 'roles_changed', 'success', { id: user.id, name: user.username }, { from: user.roles.join(','), to: next.join(',') });
    return { ok: true, value: (await this.deps.users.byId(user.id))! };
  }

  async createGroup(actor: Actor, input: unknown): Promise<Outcome<Group>> {
    const parsed = parseInput(newGroupSchema, input);
    if (!parsed.ok) return { ok: false, reason: 'invalid', errors: parsed.errors };
    if (await this.deps.groups.byName(parsed.value.name)) return { ok: false, reason: 'conflict', message: 'groups.exists' };
    try {
      const group = await this.deps.groups.create(parsed.value);
      await this.audit(actor, 'group_created', 'success', { id: group.id, name: group.name });
      return { ok: true, value: group };
    } catch (err) {
      if (await this.deps.groups.byName(parsed.value.name)) return { ok: false, reason: 'conflict', message: 'groups.exists' };
      throw err;
    }
  }

  /** Adds a user (by username) or a group (by name) to a group. */
  async addMember(actor: Actor, groupId: string, input: { type: unknown; name: unknown }): Promise<Outcome<Group>> {
    const group = await this.deps.groups.byId(groupId);
    if (!group) return { ok: false, reason: 'not_found', message: 'groups.notFound' };
    const parsed = parseInput(
      z.object({ type: z.enum(['user', 'group'], { error: 'v.memberType.invalid' }), name: z.string({ error: 'v.field.invalid' }).trim().min(1, 'v.field.invalid').max(256, 'v.field.tooLong') }),
      input,
    );
    if (!parsed.ok) return { ok: false, reason: 'invalid', errors: parsed.errors };
    const { type, name } = parsed.value;
    const member = type === 'user' ? await this.deps.users.byUsername(name) : await this.deps.groups.byName(name);
    if (!member) return { ok: false, reason: 'invalid', errors: { name: 'groups.refuse.noSuchMember' } };
    if (type === 'group' && member.id === group.id) return { ok: false, reason: 'refused', message: 'groups.refuse.self' };
    const added = await this.deps.groups.addMember(group.id, { type, id: member.id });
    if (!added) return { ok: false, reason: 'conflict', message: 'groups.refuse.alreadyMember' };
    await this.audit(actor, 'group_member_added', 'success', { id: group.id, name: group.name }, { memberType: type, member: name });
    return { ok: true, value: group };
  }

  async removeMember(actor: Actor, groupId: string, member: { type: unknown; id: unknown }): Promise<Outcome<Group>> {
    const group = await this.deps.groups.byId(groupId);
    if (!group) return { ok: false, reason: 'not_found', message: 'groups.notFound' };
    if ((member.type !== 'user' && member.type !== 'group') || typeof member.id !== 'string' || member.id.length > 64) {
      return { ok: false, reason: 'invalid', errors: { member: 'v.field.invalid' } };
    }
    const removed = await this.deps.groups.removeMember(group.id, { type: member.type, id: member.id });
    if (!removed) return { ok: false, reason: 'not_found', message: 'groups.refuse.noSuchMember' };
    await this.audit(actor, 'group_member_removed', 'success', { id: group.id, name: group.name }, { memberType: member.type, memberId: member.id });
    return { ok: true, value: group };
  }

  /** Renames a cloud group; a group synced from Active Directory is renamed there. */
  async renameGroup(actor: Actor, groupId: string, input: unknown): Promise<Outcome<Group>> {
    const group = await this.deps.groups.byId(groupId);
    if (!group) return { ok: false, reason: 'not_found', message: 'groups.notFound' };
    if (group.source === 'onprem') return { ok: false, reason: 'refused', message: 'groups.refuse.synced' };
    const parsed = parseInput(z.object({ name: groupNameSchema }), input);
    if (!parsed.ok) return { ok: false, reason: 'invalid', errors: parsed.errors };
    const { name } = parsed.value;
    if (name === group.name) return { ok: true, value: group };
    const other = await this.deps.groups.byName(name);
    if (other && other.id !== group.id) return { ok: false, reason: 'conflict', message: 'groups.exists' };
    try {
      await this.deps.groups.rename(group.id, name);
    } catch (err) {
      if (await this.deps.groups.byName(name)) return { ok: false, reason: 'conflict', message: 'groups.exists' };
      throw err;
    }
    await this.audit(actor, 'group_renamed', 'success', { id: group.id, name }, { from: group.name, to: name });
    return { ok: true, value: (await this.deps.groups.byId(group.id))! };
  }

  /**
   * Deletes a cloud group and its memberships (as a container and as a nested member). Refused
   * while the policy's scope names it (deleting it would silently change who may reset) and for
   * groups synced from Active Directory (the next sync would bring them back).
   */
  async deleteGroup(actor: Actor, groupId: string): Promise<Outcome<Group>> {
    const group = await this.deps.groups.byId(groupId);
    if (!group) return { ok: false, reason: 'not_found', message: 'groups.notFound' };
    if (group.source === 'onprem') return { ok: false, reason: 'refused', message: 'groups.refuse.synced' };
    const inUse = await this.deps.groupInUse?.(group.id);
    if (inUse) return { ok: false, reason: 'refused', message: inUse };
    const members = (await this.deps.groups.directMembers(group.id)).length;
    await this.deps.groups.delete(group.id);
    await this.audit(actor, 'group_deleted', 'success', { id: group.id, name: group.name }, { members: String(members) });
    return { ok: true, value: group };
  }
}
