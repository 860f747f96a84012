import type { User } from '../directory/users.js';
import { fail, ok } from '../shared/result.js';
import { isWritebackRefusal, type BindRefusal, type JobRefusal, type ReportedPolicy, type WritebackRefusal } from '../agent-protocol/index.js';
import type { AgentHub, JobOutcome } from './agent-hub.js';
import type { AccountRead, AccountReadFailure, Writeback, WritebackResult } from './writeback.js';

/** An agent's refusal as writeback's: the catalogue's own reasons pass, anything else is `failed`. */
function toResult(o: JobOutcome, reason: (r: JobRefusal) => WritebackRefusal = (r) => (isWritebackRefusal(r) ? r : 'failed')): WritebackResult {
  if (o.ok) return ok(o.value.historyEnforced === false ? { historyEnforced: false } : {});
  return o.detail ? fail(reason(o.reason), { detail: o.detail }) : fail(reason(o.reason));
}

/** AD's bind sub-codes (src/ad/sub-codes.ts) as the sign-in page needs them. */
const bindReasons: Record<BindRefusal, WritebackRefusal> = {
  locked: 'account_locked',
  disabled: 'account_disabled',
  account_expired: 'account_disabled',
  expired: 'password_expired',
  must_change: 'password_expired',
  logon_hours: 'policy',
};
const isBindRefusal = (r: JobRefusal): r is BindRefusal => r in bindReasons;

/** How long the support page waits for an agent's read of AD before it says the agent did not answer. */
export const ACCOUNT_READ_TIMEOUT_MS = 5_000;

const readFailure = (r: JobRefusal): AccountReadFailure => (r === 'unavailable' ? 'no_agent' : r === 'unconfirmed' ? 'timeout' : r === 'not_found' || r === 'dc_unreachable' ? r : 'failed');

/** Writeback through the connected on-premises agents (src/writeback/agent-hub.ts). */
export class AgentWriteback implements Writeback {
  private readonly now: () => number;
  private readonly readTimeoutMs: number;
  private readonly policyLearned: (user: User, policy: ReportedPolicy) => void;

  /** `policyLearned`: told the user's policy when a sign-in's bind brought it along (the portal keeps it for the pages that follow). */
  constructor(
    private readonly hub: AgentHub,
    private readonly options: () => { allowProtected: boolean },
    o: { now?: () => number; readTimeoutMs?: number; policyLearned?: (user: User, policy: ReportedPolicy) => void } = {},
  ) {
    this.now = o.now ?? Date.now;
    this.readTimeoutMs = o.readTimeoutMs ?? ACCOUNT_READ_TIMEOUT_MS;
    this.policyLearned = o.policyLearned ?? (() => undefined);
  }

  async reset(user: User, password: string, options: { mustChange?: boolean } = {}): Promise<WritebackResult> {
    return toResult(await this.hub.run({ kind: 'reset', user, password, ...(options.mustChange !== undefined ? { mustChange: options.mustChange } : {}), ...this.protectedOption() }));
  }

  async mustChange(user: User, on: boolean): Promise<WritebackResult> {
    return toResult(await this.hub.run({ kind: 'must_change', user, mustChange: on, ...this.protectedOption() }));
  }

  async change(user: User, current: string, password: string): Promise<WritebackResult> {
    return toResult(await this.hub.run({ kind: 'change', user, current, password, ...this.protectedOption() }));
  }

  async unlock(user: User): Promise<WritebackResult> {
    return toResult(await this.hub.run({ kind: 'unlock', user, ...this.protectedOption() }));
  }

  async policyFor(user: User): Promise<ReportedPolicy | null> {
    // A read for a page: no job at all when no agent could answer.
    if (!user.anchor || !(await this.hub.reachable())) return null;
    const r = await this.hub.run({ kind: 'policy', user });
    return r.ok && r.value.policy ? r.value.policy : null;
  }

  async accountState(user: User): Promise<AccountRead> {
    if (!user.anchor) return { ok: false, reason: 'not_found' };
    // A read for a page: no job at all when no agent could answer.
    if (!(await this.hub.reachable())) return { ok: false, reason: 'no_agent' };
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), this.readTimeoutMs);
      timer.unref();
    });
    // On a timeout the job runs out on its own (its expiry); a read changes nothing, so nothing is left half done.
    const r = await Promise.race([this.hub.run({ kind: 'read_account', user }), late]).finally(() => clearTimeout(timer));
    if (r === 'late') return { ok: false, reason: 'timeout' };
    if (!r.ok) return { ok: false, reason: readFailure(r.reason) };
    return r.value.account ? { ok: true, state: r.value.account, readAt: this.now() } : { ok: false, reason: 'failed' };
  }

  async bind(user: User, password: string): Promise<WritebackResult> {
    const r = await this.hub.run({ kind: 'bind', user, password });
    // A sign-in only asks whether the password is right: AD's history does not come into it.
    if (r.ok) {
      if (r.value.policy) this.policyLearned(user, r.value.policy);
      return ok({});
    }
    return toResult(r, (reason) => (isBindRefusal(reason) ? bindReasons[reason] : isWritebackRefusal(reason) ? reason : 'failed'));
  }

  private protectedOption() {
    return this.options().allowProtected ? { allowProtected: true } : {};
  }
}
