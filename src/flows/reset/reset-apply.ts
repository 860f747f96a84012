import { nameKey } from '../../directory/names.js';
import type { User } from '../../directory/users.js';
import { hashToken } from '../../shared/crypto.js';
import { throttleKeys } from '../../state/throttle-keys.js';
import { transition, type Intent } from './reset-flow.js';
import { notifyAdmins, notifyUser } from './reset-notices.js';
import { RESET_FLOW, type ResetServiceDeps } from './reset-service.js';
import type { ResetFlow } from './reset-view.js';

/** The end of a reset or unlock (split from reset-service.ts): holding the flow, the outcome, and what a success resets. */

interface Meta {
  ip: string;
  userAgent: string;
}

/** A decoy's wrong answers count per typed name and browser. */
export function decoyKeyOf(flow: ResetFlow, browserId: string): string {
  return throttleKeys.resetDecoy(nameKey(flow.data.username), hashToken(browserId).slice(0, 32));
}

export async function hold(d: ResetServiceDeps, flow: ResetFlow, action: Intent): Promise<ResetFlow | null> {
  const next = transition(flow.state, flow.data, { type: 'apply', action });
  if (!next.ok || !(await d.flows.advance(flow, next.value))) return null;
  return { ...flow, state: next.value.state, data: next.value.data, version: flow.version + 1 };
}

export async function release(d: ResetServiceDeps, held: ResetFlow): Promise<void> {
  const back = transition(held.state, held.data, { type: 'apply_refused' });
  if (back.ok) await d.flows.advance(held, back.value);
}

export async function outcome(d: ResetServiceDeps, flow: ResetFlow, user: User, result: 'success' | 'failure', meta: Meta, details: Record<string, string> = {}): Promise<void> {
  const who = { id: user.id, name: user.username };
  const recorded = { method: flow.data.passed.join(','), intent: flow.data.intent, ...details };
  await d.audit.record({ event: flow.data.action === 'unlock' ? 'account_unlock' : 'password_reset', outcome: result, actor: who, target: who, ip: meta.ip, userAgent: meta.userAgent, details: recorded });
}

/** Done: the flow completes, counters start afresh, codes die, sessions end, people are told. */
export async function finish(d: ResetServiceDeps, held: ResetFlow, user: User, meta: Meta, browserId: string): Promise<void> {
      const done = transition(held.state, held.data, { type: 'applied' });
  // A finished flow holds nothing any more: its "done" page stays, whatever happens later.
  if (done.ok) await d.flows.advance(held, done.value, { holdsProof: false });
  const action = held.data.action ?? 'reset';
  // Every other open flow of this user that had proved something ends: a second browser that
  // passed the checks can no longer set a password, nor a sign-in that passed its password
  // step go on. An unlock keeps the password, so only other resets and unlocks end.
  await d.flows.voidFlowsOf(user.id, action === 'reset' ? { reason: 'password_changed', except: held.id } : { reason: 'unlocked', except: held.id, kinds: [RESET_FLOW] });
  // A reset also unlocks; Entra's counters reset after a successful reset.
  await d.throttle.reset(throttleKeys.signInUser(nameKey(user.username)));
  await d.throttle.reset(throttleKeys.verifyFailures(user.id));
  await d.throttle.reset(decoyKeyOf(held, browserId));
  await d.codes.voidAll(user.id);
  if (action === 'reset') await d.sessions.revokeAllForUser(user.id);
  await outcome(d, held, user, 'success', meta);
  const { policy } = await d.policy.current();
  if (action === 'unlock' || policy.notifications.usersOnReset) await notifyUser(d, user, action);
  if (action === 'reset' && user.roles.includes('administrator') && policy.notifications.adminsOnAdminReset) await notifyAdmins(d, user);
}
