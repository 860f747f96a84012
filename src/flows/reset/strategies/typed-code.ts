import type { User } from '../../../directory/users.js';
import type { Method, MethodStore } from '../../../methods/method-store.js';
import type { SecurityInfoService } from '../../../methods/security-info.js';
import { fail, ok, type Ok } from '../../../shared/result.js';
import type { ResetFlow } from '../reset-view.js';
import type { ProofRefused, VerifyAttempt } from './proof-strategy.js';

export interface TypedCodeDeps {
  methods: Pick<MethodStore, 'get'>;
  securityInfo: Pick<SecurityInfoService, 'verifyCode'>;
}

/**
 * The check every typed code shares (a code sent by email, text or call, or one from an
 * authenticator app). `target` picks the method whose code it is, among several of one kind.
 */
export async function verifyTypedCode(d: TypedCodeDeps, attempt: VerifyAttempt, typed: unknown, target: (user: User, matched: Method, code: string) => Promise<Method>): Promise<Ok<ResetFlow> | ProofRefused> {
  const { user, pending, flow } = attempt;
  const code = typeof typed === 'string' ? typed.replace(/[\s-]/g, '') : '';
  // Malformed input compares nothing and counts nowhere, for a real user and a decoy alike.
  if (!/^\d{6,8}$/.test(code)) return fail('methods.codeWrong', { field: 'code' });
  const method = user && pending.methodId ? await d.methods.get(user.id, pending.methodId) : null;
  if (!user || !method) return fail('methods.codeWrong', { nothingMatched: true });
  const r = await d.securityInfo.verifyCode(user, await target(user, method, code), 'reset', code);
  if (!r.ok) return r.reason === 'methods.blocked' ? fail(r.reason) : fail(r.reason, { field: 'code' });
  return ok(flow);
}
