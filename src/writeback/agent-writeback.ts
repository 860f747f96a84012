import type { User } from '../directory/users.js';
import type { ReportedPolicy } from '../agent-protocol/index.js';
import type { AgentHub, JobOutcome } from './agent-hub.js';
import type { Writeback, WritebackRefusal, WritebackResult } from './writeback.js';
import { writebackRefusals } from './writeback.js';

function toResult(o: JobOutcome): WritebackResult {
  if (o.ok) return o.historyEnforced === false ? { ok: true, historyEnforced: false } : { ok: true };
  const reason: WritebackRefusal = (writebackRefusals as readonly string[]).includes(o.reason) ? (o.reason as WritebackRefusal) : 'failed';
  return o.detail ? { ok: false, reason, detail: o.detail } : { ok: false, reason };
}

const bindReasons: Record<string, WritebackRefusal> = {
  locked: 'account_locked',
  disabled: 'account_disabled',
  account_expired: 'account_disabled',
  expired: 'password_expired',
  must_change: 'password_expired',
  logon_hours: 'policy',
};

/** Writeback through the connected on-premises agents (src/writeback/agent-hub.ts). */
export class AgentWriteback implements Writeback {
  constructor(
    private readonly hub: AgentHub,
    private readonly options: () => { allowProtected: boolean },
  ) {}

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
    if (this.hub.connected().length === 0 || !user.anchor) return null;
    const r = await this.hub.run({ kind: 'policy', user });
    return r.ok && r.policy ? r.policy : null;
  }

  async bind(user: User, password: string): Promise<WritebackResult> {
    const r = await this.hub.run({ kind: 'bind', user, password });
    if (r.ok) return { ok: true };
    // AD's bind sub-codes (src/ad/sub-codes.ts) as the sign-in page needs them.
    const reason = bindReasons[r.reason] ?? r.reason;
    return toResult({ ok: false, reason, ...(r.detail ? { detail: r.detail } : {}) });
  }

  private protectedOption() {
    return this.options().allowProtected ? { allowProtected: true } : {};
  }
}
