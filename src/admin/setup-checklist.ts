import type { Store } from '../store/database.js';
import type { MessageKey } from '../i18n/index.js';

/**
 * The overview's setup checklist: each step of a first setup with whether it is done, computed
 * from what is stored (not from a flag someone ticks). Steps that a cloud-only portal does not
 * need (an agent, a sync) say so instead of staying undone.
 */
export type StepState = 'done' | 'todo' | 'notNeeded';

export interface SetupStep {
  id: 'adminMethods' | 'delivery' | 'policyScope' | 'agent' | 'sync';
  state: StepState;
  href: string;
  label: MessageKey;
  /** What is missing (todo), or why it is not needed. */
  detail: MessageKey;
  vars?: Record<string, string | number>;
}

export interface ChecklistDeps {
  store: Store;
  /** Confirmed methods of a user (security questions count as one). */
  methodCount(userId: string): Promise<number>;
  deliveryMode(): 'outbox' | 'smtp';
  /** When the stored delivery settings were last saved (null: the file's): only an email sent since then tests them. */
  deliveryChangedAt(): number | null;
  policyScope(): Promise<{ enabledFor: 'none' | 'selected' | 'all'; groups: number }>;
  /** Agents connected now (to any portal instance). */
  agentsConnected(): Promise<number>;
}

const count = (n: unknown) => Number(n ?? 0);

export async function setupChecklist(d: ChecklistDeps, viewerId: string): Promise<SetupStep[]> {
  const db = d.store.db;
  const [methods, sent, scope, agents, hybrid, syncs] = await Promise.all([
    d.methodCount(viewerId),
    db.selectFrom('delivery_log').select((eb) => eb.fn.countAll<number | string>().as('n')).where('status', '=', 'sent').where('channel', '=', 'email').where('created_at', '>=', d.deliveryChangedAt() ?? 0).executeTakeFirstOrThrow(),
    d.policyScope(),
    d.agentsConnected(),
    db.selectFrom('users').select((eb) => eb.fn.countAll<number | string>().as('n')).where('source', '=', 'onprem').executeTakeFirstOrThrow(),
    db.selectFrom('sync_runs').select((eb) => eb.fn.countAll<number | string>().as('n')).where('status', '=', 'done').executeTakeFirstOrThrow(),
  ]);
  const registeredAgents = count((await db.selectFrom('agents').select((eb) => eb.fn.countAll<number | string>().as('n')).where('revoked_at', 'is', null).executeTakeFirstOrThrow()).n);
  const cloudOnly = count(hybrid.n) === 0 && registeredAgents === 0;
  const smtp = d.deliveryMode() === 'smtp';
  const tested = count(sent.n) > 0;
  const scoped = scope.enabledFor === 'all' || (scope.enabledFor === 'selected' && scope.groups > 0);
  return [
    { id: 'adminMethods', state: methods >= 2 ? 'done' : 'todo', href: '/account/security-info', label: 'admin.setup.adminMethods', detail: methods >= 2 ? 'admin.setup.adminMethods.done' : 'admin.setup.adminMethods.todo', vars: { n: methods } },
    { id: 'delivery', state: smtp && tested ? 'done' : 'todo', href: '/admin/settings/delivery', label: 'admin.setup.delivery', detail: !smtp ? 'admin.setup.delivery.outbox' : tested ? 'admin.setup.delivery.done' : 'admin.setup.delivery.untested' },
    { id: 'policyScope', state: scoped ? 'done' : 'todo', href: '/admin/policy/properties', label: 'admin.setup.policyScope', detail: scoped ? (scope.enabledFor === 'all' ? 'admin.setup.policyScope.all' : 'admin.setup.policyScope.selected') : scope.enabledFor === 'none' ? 'admin.setup.policyScope.none' : 'admin.setup.policyScope.noGroups', vars: { n: scope.groups } },
    { id: 'agent', state: cloudOnly ? 'notNeeded' : agents > 0 ? 'done' : 'todo', href: '/admin/agents', label: 'admin.setup.agent', detail: cloudOnly ? 'admin.setup.notNeeded' : agents > 0 ? 'admin.setup.agent.done' : 'admin.setup.agent.todo' },
    { id: 'sync', state: cloudOnly ? 'notNeeded' : count(syncs.n) > 0 ? 'done' : 'todo', href: '/admin/sync', label: 'admin.setup.sync', detail: cloudOnly ? 'admin.setup.notNeeded' : count(syncs.n) > 0 ? 'admin.setup.sync.done' : 'admin.setup.sync.todo' },
  ];
}
