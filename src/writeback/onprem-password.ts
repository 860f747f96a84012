import type { PasswordHasher } from '../passwords/password-hash.js';
import type { User, UserStore } from '../directory/users.js';
import type { DirectoryService, Outcome } from '../directory/directory-service.js';
import type { ReportedPolicy } from '../agent-protocol/index.js';
import { passwordRuleViolations, type PasswordRuleReason } from '../ad/password-rules.js';

/**
 * AD's own rules, checked in the portal before a job is sent (so most refusals come at once, in
 * plain words, without asking AD): length, complexity and the name, from the domain policy the
 * agent reported. The minimum age and the history only AD can check.
 */
export function onPremisesViolations(user: User, password: string, policy: ReportedPolicy | null, now: number): PasswordRuleReason[] {
  if (!policy) return [];
  // The account name AD compares with is the part before @ of a UPN-style username.
  const sAMAccountName = user.username.includes('@') ? user.username.slice(0, user.username.indexOf('@')) : user.username;
  return passwordRuleViolations({ sAMAccountName, displayName: user.displayName, pwdLastSet: null }, password, { ...policy, source: { kind: 'domain', dn: '' } }, { now, minAge: false });
}

/**
 * A new password for a hybrid user, before any job is sent: the portal's own rules, then AD's
 * as far as the portal can check them. The one check every flow that writes a hybrid user's
 * password runs (reset, change, an administrator's reset); `adRule` says which AD rule failed.
 */
export async function checkOnPremisesPassword(directory: DirectoryService, user: User, input: { password: unknown; confirm?: unknown }, policy: ReportedPolicy | null, now: number): Promise<Outcome<string> & { adRule?: PasswordRuleReason }> {
  const checked = await directory.checkNewPassword(user, input);
  if (!checked.ok) return checked;
  const broken = onPremisesViolations(user, checked.value, policy, now)[0];
  return broken ? { ok: false, reason: 'invalid', errors: { password: `writeback.${broken}` }, adRule: broken } : checked;
}

/**
 * After AD accepted a new password for a hybrid user: with password hash sync the portal keeps
 * an argon2 hash too (sign-in still works while no agent answers); without it any old hash is
 * removed, so a password changed elsewhere in AD can never be outlived by a stale copy here.
 */
export async function afterOnPremisesPassword(users: UserStore, hasher: PasswordHasher, user: User, password: string, hashSync: boolean): Promise<void> {
  await users.setPasswordHash(user.id, hashSync ? await hasher.hash(password) : null);
}
