import type { AuditLog } from '../../audit/audit-log.js';
import type { SelfServiceBlockStore } from '../../directory/self-service-blocks.js';
import type { UserStore } from '../../directory/users.js';
import type { MethodStore } from '../../methods/method-store.js';
import type { QuestionStore } from '../../methods/questions.js';
import type { PolicyService } from '../../policy/policy-service.js';
import { effectiveFor, type GateType } from '../../policy/policy.js';
import type { FlowStore } from '../../state/flow-store.js';
import type { ResetLinkStore } from '../../state/reset-links.js';
import { standingOf } from './eligibility.js';
import { proven, startData, type ResetData, type ResetState } from './reset-flow.js';
import { RESET_FLOW } from './reset-service.js';

interface Deps {
  links: Pick<ResetLinkStore, 'peek' | 'consume'>;
  users: Pick<UserStore, 'byId'>;
  methods: MethodStore;
  questions: QuestionStore;
  policy: PolicyService;
  flows: Pick<FlowStore, 'create'>;
  blocks: Pick<SelfServiceBlockStore, 'isBlocked'>;
  audit: AuditLog;
  flowTtlMs: number;
  /** Where to get help, decided by the portal (the saved brand's helpdesk first); without it the policy's. */
  helpdesk?: () => Promise<string | null>;
}

/** What the link's page shows: a button to go on, or a link that cannot be used (with whom to ask for a new one). */
export type ResetLinkView = { kind: 'ready'; token: string } | { kind: 'invalid'; helpdesk: string | null };

/**
 * Opening a reset link the helpdesk sent (src/support/support-actions.ts). The GET shows a page
 * and changes nothing (mail scanners open links); the POST spends the link and starts a reset
 * flow in this browser in which the link's method counts as one proven method: the same flow,
 * the same rules (src/flows/reset/reset-service.ts) — with one method required the user goes
 * straight to choosing a new password; with two, or when the reset must not be weaker than
 * sign-in (an authenticator app or passkey registered), they still prove another. The helpdesk
 * never chooses or sees the password.
 */
export class ResetLinkStart {
  constructor(private readonly d: Deps) {}

  private async helpdesk(): Promise<string | null> {
    if (this.d.helpdesk) return this.d.helpdesk();
    return (await this.d.policy.current()).policy.customization.helpdesk ?? null;
  }

  async view(token: unknown): Promise<ResetLinkView> {
    const link = await this.d.links.peek(token);
    return link ? { kind: 'ready', token: token as string } : { kind: 'invalid', helpdesk: await this.helpdesk() };
  }

  async start(token: unknown, meta: { ip: string; userAgent: string; browserId: string }): Promise<{ ok: true; flowId: string } | { ok: false; view: Extract<ResetLinkView, { kind: 'invalid' }> }> {
    const { d } = this;
    const invalid = async () => ({ ok: false as const, view: { kind: 'invalid' as const, helpdesk: await this.helpdesk() } });
    const link = await d.links.consume(token);
    if (!link) return invalid();
    const user = await d.users.byId(link.userId);
    const method = user ? await d.methods.get(user.id, link.methodId) : null;
    const { policy } = await d.policy.current();
    const standing = user ? await standingOf(d, user, policy) : null;
    const target = { id: user?.id ?? link.userId, name: user?.username ?? '' };
    if (!user || !method || !method.confirmed || !standing?.eligible || (await d.blocks.isBlocked(user.id))) {
      // The link was spent either way: a user disabled, a method removed or self-service turned off since it was sent.
      await d.audit.record({ event: 'reset_link_used', outcome: 'failure', target, ip: meta.ip, userAgent: meta.userAgent, details: { reason: !user || !method || !method.confirmed ? 'method_gone' : !standing?.eligible ? 'not_eligible' : 'self_service_blocked' } });
      return invalid();
    }
    const gate = method.type as GateType;
    const start = startData('reset', user.username, effectiveFor(policy, user).required, standing.strongNeeded);
    const data: ResetData = { ...start.data, passed: [gate] };
    const state: ResetState = proven(data) ? 'verified' : 'verifying';
    // Holds a proof from the start: a password change elsewhere, or the helpdesk ending the sessions, voids it.
    const flow = await d.flows.create<ResetState, ResetData>({ kind: RESET_FLOW, state, userId: user.id, browserId: meta.browserId, data, ttlMs: d.flowTtlMs, holdsProof: true });
    await d.methods.markUsed(method.id);
    await d.audit.record({
      event: 'reset_link_used',
      outcome: 'success',
      actor: { id: user.id, name: user.username },
      target,
      ip: meta.ip,
      userAgent: meta.userAgent,
      details: { method: method.type, sentBy: link.createdBy, moreToProve: state === 'verifying' },
    });
    return { ok: true, flowId: flow.id };
  }
}
