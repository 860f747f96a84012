import type { User } from '../directory/users.js';
import type { AgentHub, JobOutcome } from './agent-hub.js';
import type { Writeback, WritebackRefusal, WritebackResult } from './writeback.js';
import { writebackRefusals } from './writeback.js';

function toResult(o: JobOutcome): WritebackResult {
  if (o.ok) return o.historyEnforced === false ? { ok: true, historyEnforced: false } : { ok: true };
  const reason: WritebackRefusal = (writebackRefusals as readonly string[]).includes(o.reason) ? (o.reason as WritebackRefusal) : 'failed';
  return o.detail ? { ok: false, reason, detail: o.detail } : { ok: false, reason };
}

/** Writeback through the connected on-premises agents (src/writeback/agent-hub.ts). */
export class AgentWriteback implements Writeback {
  constructor(
    private readonly hub: AgentHub,
    private readonly options: () => { allowProtected: boolean },
  ) {}

  async reset(user: User, password: string): Promise<WritebackResult> {
    return toResult(await this.hub.run({ kind: 'reset', user, password, ...this.protectedOption() }));
  }

  async change(user: User, current: string, password: string): Promise<WritebackResult> {
    return toResult(await this.hub.run({ kind: 'change', user, current, password, ...this.protectedOption() }));
  }

  async unlock(user: User): Promise<WritebackResult> {
    return toResult(await this.hub.run({ kind: 'unlock', user, ...this.protectedOption() }));
  }

  private protectedOption() {
    return this.options().allowProtected ? { allowProtected: true } : {};
  }
}
