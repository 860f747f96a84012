import { UF_ACCOUNTDISABLE, UF_DONT_EXPIRE_PASSWD, UF_LOCKOUT, UF_PASSWORD_EXPIRED } from './account-control.js';
import { Attribute, Change, ResultCodeError, type Entry } from 'ldapts';
import type { Logger } from '../logging/logger.js';
import { systemClock, type Clock } from '../shared/clock.js';
import { AdConnection, readRootDse, type AdConnectionOptions, type RootDse } from './ad-connection.js';
import { fileTimeToDate } from './ad-time.js';
import { bufferOf, intOf } from './entry-values.js';
import { PolicyHintsControl, policyHintsFor } from './controls.js';
import { first, type PasswordPolicy } from './domain-policy.js';
import { PolicyObjects } from './policy-objects.js';
import { guidFromBytes, parseGuid } from './guid.js';
import { passwordRuleViolations, type PasswordRuleReason } from './password-rules.js';
import { ProtectedAccounts } from './protected-accounts.js';
import { findUserEntry } from './user-lookup.js';
import { WIN32_INVALID_PASSWORD, bindFailureReason, bindSubCode, win32ErrorCode, type BindFailureReason } from './sub-codes.js';
import { failure, failureFromError, guarded, isConnectionError, type AdFailure, type AdResult, type AdVerdict } from './verdicts.js';

/** A user as the portal needs to see it. Read from AD by objectGUID; the DN is AD's own. */
export interface AdUser {
  guid: string;
  dn: string;
  sAMAccountName: string;
  userPrincipalName: string | null;
  displayName: string | null;
  mail: string | null;
  mobile: string | null;
  telephoneNumber: string | null;
  enabled: boolean;
  /** adminCount=1, a protected built-in account, or a member (also nested, also as primary group) of a protected group. */
  protected: boolean;
  lockedOut: boolean;
  /** When the password was last set; null when it must be changed (pwdLastSet 0) or was never set. */
  pwdLastSet: Date | null;
  /** "User must change password at next logon" (pwdLastSet 0). */
  mustChange: boolean;
  passwordExpired: boolean;
  passwordNeverExpires: boolean;
  /** lockoutTime: when AD locked the account (null: 0, never locked or unlocked since). */
  lockoutTime: Date | null;
  /** msDS-UserPasswordExpiryTimeComputed, as AD computed it; null for 0 and "never". */
  passwordExpiresAt: Date | null;
  /** The fine-grained policy (PSO) that applies, when one does and the service account may see it. */
  resultantPsoDn: string | null;
}

export type PasswordCheck = { ok: true } | { ok: false; reason: PasswordRuleReason; reasons: PasswordRuleReason[] };

export type BindResult = { ok: true } | { ok: false; reason: BindFailureReason | 'dc_unreachable'; detail?: string };

/** What a page needs to know about one user before a password is typed (accountPolicy). */
export interface AccountPolicy {
  policy: PasswordPolicy;
  resetHistory: boolean;
  protectedAccount: boolean;
}

/**
 * A write's go-ahead (the agent's claim granted and on disk). The user is looked up meanwhile —
 * a read, so it may start before the claim — and AD is written only once it resolves true; false
 * or a rejection writes nothing (the write throws `NotClaimed`, or the rejection). Without it, the
 * write goes ahead after the look-up.
 */
export type GoAhead = Promise<boolean>;

/** Thrown by a write whose go-ahead came back false: nothing was written. */
export class NotClaimed extends Error {
  constructor() {
    super('the job was not claimed: nothing was written to AD');
  }
}

async function awaitGoAhead(ready: GoAhead | undefined): Promise<void> {
  if (ready !== undefined && !(await ready)) throw new NotClaimed();
}

export interface WriteOptions {
  ready?: GoAhead;
}

export interface ResetOptions extends WriteOptions {
  /** Also clear a lockout (lockoutTime = 0) in the same request. Default true. */
  unlock?: boolean;
  /** Make the user change the password at the next sign-in (pwdLastSet = 0). */
  mustChange?: boolean;
}

const USER_ATTRIBUTES = [
  'objectGUID',
  'objectSid',
  'sAMAccountName',
  'userPrincipalName',
  'displayName',
  'mail',
  'mobile',
  'telephoneNumber',
  'userAccountControl',
  'msDS-User-Account-Control-Computed',
  'adminCount',
  'pwdLastSet',
  'lockoutTime',
  // Constructed: AD returns it only when asked for by name.
  'msDS-UserPasswordExpiryTimeComputed',
  'primaryGroupID',
  'msDS-ResultantPSO',
];

function unicodePwd(password: string): Buffer {
  // AD's format: the password in double quotes, UTF-16LE.
  return Buffer.from(`"${password}"`, 'utf16le');
}

function replace(type: string, values: string[] | Buffer[]): Change {
  return new Change({ operation: 'replace', modification: new Attribute({ type, values }) });
}

/**
 * The Active Directory connector: lookups by objectGUID, the password policy, and the password
 * operations (reset, change, unlock, must-change, pass-through bind), each answering with a
 * verdict value. Only connection set-up problems in the options throw (AdConfigurationError).
 */
export class AdConnector {
  private readonly connection: AdConnection;
  private readonly clock: Clock;
  private readonly protection: ProtectedAccounts;
  private readonly policies: PolicyObjects;

  constructor(options: AdConnectionOptions, deps: { clock?: Clock; logger?: Logger } = {}) {
    this.connection = new AdConnection(options, deps);
    this.clock = deps.clock ?? systemClock;
    this.protection = new ProtectedAccounts(this.clock);
    this.policies = new PolicyObjects(this.connection, this.clock);
  }

  /** What the DC (the first one that answers) says about itself. */
  async rootDse(): Promise<AdResult<RootDse>> {
    return guarded(async () => ({ ok: true as const, value: await this.connection.asService((s) => readRootDse(s.client), { idempotent: true }) }));
  }

  /** The domain password policy as AD has it now (from the domain root, not from the search base, which may be an OU). */
  domainPolicy(): Promise<AdResult<PasswordPolicy>> {
    return this.policies.domain();
  }

  /** The policy AD applies to this user now (read afresh): its fine-grained policy (msDS-ResultantPSO) when it has one, else the domain's. */
  async effectivePolicy(guid: string): Promise<AdResult<PasswordPolicy>> {
    const found = await this.findUserByGuid(guid);
    if (!found.ok) return found;
    return this.policyOf(found.value, { fresh: true });
  }

  /**
   * What a reset page needs to know about one user, in one user search: the policy AD applies,
   * whether AD checks the history on a reset (the DC offers the policy-hints control), and
   * whether a write would be refused because the account is protected.
   */
  async accountPolicy(guid: string): Promise<AdResult<AccountPolicy>> {
    const found = await this.findUserByGuid(guid);
    if (!found.ok) return found;
    return this.accountPolicyOf(found.value);
  }

  /** accountPolicy for a user already looked up (with the protected-account check). */
  private async accountPolicyOf(user: AdUser): Promise<AdResult<AccountPolicy>> {
    const policy = await this.policyOf(user);
    if (!policy.ok) return policy;
    const resetHistory = await this.resetHistoryEnforced();
    if (!resetHistory.ok) return resetHistory;
    return { ok: true, value: { policy: policy.value, resetHistory: resetHistory.value, protectedAccount: user.protected && !this.connection.allowProtected } };
  }

  /** Whether a reset by the service account is held to the history and minimum age: the DC advertises the policy-hints control. */
  async resetHistoryEnforced(): Promise<AdResult<boolean>> {
    return guarded(async () => ({ ok: true as const, value: await this.connection.asService((s) => Promise.resolve(policyHintsFor(s.rootDse.supportedControl) !== null), { idempotent: true }) }));
  }

  /** The policy that applies to the user (policy-objects.ts: kept a minute per object); `fresh` reads it again (explaining a refusal: AD just applied the policy it has now). */
  private policyOf(user: AdUser, options: { fresh?: boolean } = {}): Promise<AdResult<PasswordPolicy>> {
    return this.policies.of(user.resultantPsoDn, options);
  }

  /**
   * The user with this objectGUID under the search base, or `not_found`. Anything but a GUID
   * string is refused before AD is asked. `protection: false` (a user's own change, bound as the
   * user: being protected changes nothing for it) leaves out the protected-group membership,
   * which costs the DC most of the search; `protected` then reflects adminCount, the built-in
   * accounts and the primary group only.
   */
  async findUserByGuid(guid: string, options: { protection?: boolean } = {}): Promise<AdResult<AdUser>> {
    const canonical = parseGuid(guid);
    if (canonical === null) return failure('not_found', 'not a GUID; nothing was asked of AD');
    return guarded(async () => {
      const user = await this.connection.asService(async (s) => {
        const found = await findUserEntry(s, { baseDn: this.connection.baseDn, guid: canonical, attributes: USER_ATTRIBUTES, protection: options.protection === false ? null : this.protection });
        return found === null ? null : this.userFromEntry(found.entry, found.protectedMember);
      }, { idempotent: true });
      return user === null ? failure('not_found', `no user with objectGUID ${canonical} under ${this.connection.baseDn}`) : { ok: true as const, value: user };
    });
  }

  private userFromEntry(entry: Entry, protectedMember: boolean): AdUser {
    const uac = intOf(entry, 'userAccountControl');
    const computed = intOf(entry, 'msDS-User-Account-Control-Computed');
    const guidBytes = bufferOf(entry, 'objectGUID');
    const sidBytes = bufferOf(entry, 'objectSid');
    const pwdLastSetRaw = first(entry, 'pwdLastSet') ?? '0';
    const user: AdUser = {
      guid: guidBytes === null ? '' : guidFromBytes(guidBytes),
      dn: entry.dn,
      sAMAccountName: first(entry, 'sAMAccountName') ?? '',
      userPrincipalName: first(entry, 'userPrincipalName'),
      displayName: first(entry, 'displayName'),
      mail: first(entry, 'mail'),
      mobile: first(entry, 'mobile'),
      telephoneNumber: first(entry, 'telephoneNumber'),
      enabled: (uac & UF_ACCOUNTDISABLE) === 0,
      protected: false,
      lockedOut: (computed & UF_LOCKOUT) !== 0,
      pwdLastSet: fileTimeToDate(pwdLastSetRaw),
      mustChange: pwdLastSetRaw === '0',
      passwordExpired: (computed & UF_PASSWORD_EXPIRED) !== 0,
      passwordNeverExpires: (uac & UF_DONT_EXPIRE_PASSWD) !== 0,
      lockoutTime: fileTimeToDate(first(entry, 'lockoutTime')),
      passwordExpiresAt: fileTimeToDate(first(entry, 'msDS-UserPasswordExpiryTimeComputed')),
      resultantPsoDn: first(entry, 'msDS-ResultantPSO'),
    };
    user.protected = this.protection.isProtected(entry, sidBytes, protectedMember);
    return user;
  }

  /**
   * The rules our side can check before AD is asked (length, complexity, the user's name, minimum
   * age), with the words AD would give. `minAge: false` for a reset on a DC that does not apply
   * it (no policy hints).
   */
  checkPassword(user: AdUser, password: string, policy: PasswordPolicy, options: { minAge?: boolean } = {}): PasswordCheck {
    const reasons = passwordRuleViolations(user, password, policy, { now: this.clock.now(), minAge: options.minAge ?? true });
    const [reason] = reasons;
    return reason === undefined ? { ok: true } : { ok: false, reason, reasons };
  }

  /** A user the service account may write to: exists, enabled, and not protected (unless allowed). */
  private async writableUser(guid: string): Promise<AdResult<AdUser>> {
    const found = await this.findUserByGuid(guid);
    if (!found.ok) return found;
    const user = found.value;
    if (!user.enabled) return failure('account_disabled', `${user.dn} is disabled`);
    if (user.protected && !this.connection.allowProtected) {
      return failure('protected_account', `${user.dn} is a protected account (administrator or member of a protected group); allowProtected is off`);
    }
    return found;
  }

  /**
   * AD's constraint violation (19 / 0000052D) is one code for every password rule, so WHICH rule
   * is worked out from the policy that applies and the user's attributes — never from the
   * message text (Windows gives none, Samba's differs). A rule we cannot see broken leaves
   * the history, when AD was checking it.
   */
  private async passwordRefusal(user: AdUser, password: string, err: unknown, context: { minAge: boolean; historyChecked: boolean }): Promise<AdFailure> {
    if (!(err instanceof ResultCodeError) || err.code !== 19 || win32ErrorCode(err.message) === WIN32_INVALID_PASSWORD) return failureFromError(err);
    const detail = `LDAP 19: ${err.message.split('\n')[0]}`;
    const policy = await this.policyOf(user, { fresh: true });
    if (policy.ok) {
      const [rule] = passwordRuleViolations(user, password, policy.value, { now: this.clock.now(), minAge: context.minAge });
      if (rule !== undefined) return failure(rule, detail);
      if (context.historyChecked && policy.value.historyLength > 0) return failure('in_history', detail);
      return failure('policy', detail);
    }
    return failure(context.historyChecked ? 'in_history' : 'policy', detail);
  }

  /**
   * Administrative reset by the service account: one modify replacing unicodePwd (and
   * lockoutTime = 0, and pwdLastSet = 0 for mustChange), with the policy-hints control when
   * the DC advertises it so AD applies the history as for a change. Without it the result says
   * `historyEnforced: false`.
   */
  async reset(guid: string, password: string, options: ResetOptions = {}): Promise<AdVerdict> {
    const target = await this.writableUser(guid);
    if (!target.ok) return target;
    const user = target.value;
    await awaitGoAhead(options.ready);
    return guarded(async () => {
      const outcome = await this.connection.asService(async (s) => {
        const hints = policyHintsFor(s.rootDse.supportedControl);
        const changes = [replace('unicodePwd', [unicodePwd(password)])];
        if (options.unlock !== false) changes.push(replace('lockoutTime', ['0']));
        if (options.mustChange === true) changes.push(replace('pwdLastSet', ['0']));
        try {
          await s.client.modify(user.dn, changes, hints === null ? undefined : new PolicyHintsControl(hints));
          return { ok: true as const, hints: hints !== null };
        } catch (err) {
          if (isConnectionError(err)) throw err;
          return { ok: false as const, err, hints: hints !== null };
        }
      }, { idempotent: false });
      if (outcome.ok) return { ok: true as const, historyEnforced: outcome.hints };
      return this.passwordRefusal(user, password, outcome.err, { minAge: outcome.hints, historyChecked: outcome.hints });
    });
  }

  /**
   * A change by the user: bound AS THE USER, one modify deleting the current unicodePwd and
   * adding the new one, so AD checks the current password, the history and the minimum age
   * itself. A user who must change the password (773) or whose password expired (532) cannot
   * bind; for them the same delete+add goes over the service connection — AD still verifies the
   * current password in the modify (the Change Password right every user has by default).
   */
  async change(guid: string, current: string, next: string, options: WriteOptions = {}): Promise<AdVerdict> {
    const found = await this.findUserByGuid(guid, { protection: false });
    if (!found.ok) return found;
    const user = found.value;
    if (current === '') return failure('wrong_password', 'empty current password');
    if (!user.enabled) return failure('account_disabled', `${user.dn} is disabled`);
    // Before the bind: a wrong current password counts against the user's lockout.
    await awaitGoAhead(options.ready);
    const changes = [
      new Change({ operation: 'delete', modification: new Attribute({ type: 'unicodePwd', values: [unicodePwd(current)] }) }),
      new Change({ operation: 'add', modification: new Attribute({ type: 'unicodePwd', values: [unicodePwd(next)] }) }),
    ];
    const apply = async (s: { client: { modify: (dn: string, c: Change[]) => Promise<void> } }) => {
      try {
        await s.client.modify(user.dn, changes);
        return null;
      } catch (err) {
        if (isConnectionError(err)) throw err;
        return err;
      }
    };
    return guarded(async () => {
      let error: unknown;
      try {
        error = await this.connection.asUser(user.dn, current, apply);
      } catch (err) {
        if (!(err instanceof ResultCodeError) || err.code !== 49) throw err;
        const reason = bindFailureReason(bindSubCode(err.message));
        const detail = `bind refused: ${err.message.split('\n')[0]}`;
        switch (reason) {
          case 'must_change':
          case 'expired':
            error = await this.connection.asService(apply, { idempotent: false });
            break;
          case 'wrong_password':
            return failure('wrong_password', detail);
          case 'locked':
            return failure('account_locked', detail);
          case 'disabled':
            return failure('account_disabled', detail);
          case 'account_expired':
            return failure('account_disabled', `the account has expired; ${detail}`);
          case 'logon_hours':
            return failure('policy', `the user may not sign in at this time or from here; ${detail}`);
          case 'not_found':
            return failure('not_found', detail);
        }
      }
      if (error === null) return { ok: true as const, historyEnforced: true };
      return this.passwordRefusal(user, next, error, { minAge: true, historyChecked: true });
    });
  }

  /** Clears a lockout (lockoutTime = 0, which also resets badPwdCount). */
  async unlock(guid: string, options: WriteOptions = {}): Promise<AdVerdict> {
    return this.writeAttribute(guid, 'lockoutTime', '0', options);
  }

  /** "Must change password at next logon" on (pwdLastSet = 0) or off (pwdLastSet = -1: AD sets it to now). */
  async setMustChange(guid: string, on: boolean, options: WriteOptions = {}): Promise<AdVerdict> {
    return this.writeAttribute(guid, 'pwdLastSet', on ? '0' : '-1', options);
  }

  private async writeAttribute(guid: string, attribute: string, value: string, options: WriteOptions): Promise<AdVerdict> {
    const target = await this.writableUser(guid);
    if (!target.ok) return target;
    const dn = target.value.dn;
    await awaitGoAhead(options.ready);
    return guarded(async () => {
      await this.connection.asService((s) => s.client.modify(dn, replace(attribute, [value])), { idempotent: true });
      return { ok: true as const };
    });
  }

  /**
   * Pass-through sign-in: a bind as the user, its AD sub-code turned into what the user should
   * do (change now, unlock, contact the helpdesk). Protected accounts are not refused here:
   * this writes nothing. `withPolicy`: a successful bind also answers what accountPolicy would
   * (from the same user search), so the page that follows a sign-in needs no look-up of its own.
   */
  async bindAsUser(guid: string, password: string): Promise<BindResult>;
  async bindAsUser(guid: string, password: string, options: { withPolicy: true } & WriteOptions): Promise<BindResult & { policy?: AccountPolicy }>;
  async bindAsUser(guid: string, password: string, options: { withPolicy?: boolean } & WriteOptions = {}): Promise<BindResult & { policy?: AccountPolicy }> {
    const found = await this.findUserByGuid(guid);
    if (!found.ok) {
      if (found.reason === 'not_found') return { ok: false, reason: 'not_found' };
      return { ok: false, reason: 'dc_unreachable', ...(found.detail !== undefined ? { detail: found.detail } : {}) };
    }
    if (password === '') return { ok: false, reason: 'wrong_password', detail: 'empty password (would be an anonymous bind)' };
    // A bind with a wrong password counts against the user's lockout: only for a claimed job.
    await awaitGoAhead(options.ready);
    try {
      await this.connection.asUser(found.value.dn, password, async () => undefined);
    } catch (err) {
      if (err instanceof ResultCodeError && err.code === 49) {
        return { ok: false, reason: bindFailureReason(bindSubCode(err.message)), detail: err.message.split('\n')[0]! };
      }
      const f = failureFromError(err);
      return { ok: false, reason: 'dc_unreachable', ...(f.detail !== undefined ? { detail: f.detail } : {}) };
    }
    if (!options.withPolicy) return { ok: true };
    // The sign-in stands whether or not the policy could be read.
    const policy = await this.accountPolicyOf(found.value);
    return policy.ok ? { ok: true, policy: policy.value } : { ok: true };
  }

  /** Closes the pooled connections. */
  close(): Promise<void> {
    return this.connection.close();
  }
}
