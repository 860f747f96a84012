import type { AuditLog } from '../audit/audit-log.js';
import type { User } from '../directory/users.js';
import type { Clock } from '../shared/clock.js';
import { fail, ok } from '../shared/result.js';
import type { FieldCipher } from '../shared/sealed.js';
import type { FlowStore } from '../state/flow-store.js';
import type { Method, MethodStore } from './method-store.js';
import { formatRecoveryCode, newRecoveryCodeSet, RECOVERY_CODES_LOW } from './recovery-code-format.js';
import type { RecoveryCodeStore } from './recovery-code-store.js';
import type { MethodResult, SecurityInfoService } from './security-info.js';

/** The short-lived record that lets the codes just made be downloaded, in the browser and session that made them. */
export const REVEAL_FLOW = 'recovery-codes';
/** How long after making a set its codes can still be downloaded. */
export const REVEAL_MS = 15 * 60_000;

type RevealState = 'shown' | 'closed';
interface RevealData {
  methodId: string;
  /** The codes, sealed with the data key; emptied when the user is done. */
  sealed: string;
  /** The session that made them: another session of the same user (or a thief's) cannot fetch them. */
  session: string;
}

/** The browser and session asking; the codes are only ever given back to the pair that made them. */
export interface RevealBinding {
  browserId: string;
  sessionHash: string;
}

export interface RecoveryCodesShown {
  revealId: string;
  /** As shown: four groups of four. */
  codes: string[];
  /** True when an existing set was replaced (its codes stopped working at once). */
  regenerated: boolean;
}

export interface RecoveryCodesStatus {
  method: Method;
  left: number;
  total: number;
  /** Few enough left that the user should make a new set. */
  low: boolean;
}

interface Deps {
  methods: Pick<MethodStore, 'list' | 'get' | 'addRecoveryCodes' | 'removeUnconfirmed' | 'confirm'>;
  codes: RecoveryCodeStore;
  flows: FlowStore;
  cipher: FieldCipher;
  securityInfo: Pick<SecurityInfoService, 'available' | 'notify' | 'describe'>;
  users: { markSecurityInfoConfirmed(id: string): Promise<void> };
  audit: AuditLog;
  clock: Clock;
}

const aad = (userId: string, methodId: string) => `recovery-codes-reveal:${userId}:${methodId}`;

/**
 * Saved recovery codes (NIST SP 800-63B-4 look-up secrets) in "My security info": a set of ten
 * is made, shown once, may be downloaded while the user is still on that page, and counts as
 * one method once the user says it is saved. Making a new set voids the old one at once.
 * Spending a code is SecurityInfoService.verifyCode's (the same throttles as every other code).
 */
export class RecoveryCodeService {
  constructor(private readonly d: Deps) {}

  /** The user's confirmed set and how many of its codes are unused; null without one. */
  async status(userId: string): Promise<RecoveryCodesStatus | null> {
    const method = (await this.d.methods.list(userId, { confirmedOnly: true })).find((m) => m.type === 'recovery_code');
    if (!method) return null;
    const { left, total } = await this.d.codes.count(userId, method.id);
    return { method, left, total, low: left <= RECOVERY_CODES_LOW };
  }

  /**
   * A new set. Without a confirmed set it is a registration (it counts once the user says the
   * codes are saved); with one, it replaces that set straight away and the user is told.
   */
  async generate(user: User, bind: RevealBinding): Promise<MethodResult<RecoveryCodesShown>> {
    const { d } = this;
    if (!d.securityInfo.available('recovery_code')) return fail('methods.notAvailable');
    const existing = await this.status(user.id);
    let method: Method;
    if (existing) {
      method = existing.method;
    } else {
      await d.methods.removeUnconfirmed(user.id, 'recovery_code');
      method = await d.methods.addRecoveryCodes(user.id);
    }
    const codes = newRecoveryCodeSet();
    await d.codes.replace(user.id, method.id, codes);
    const shown = codes.map(formatRecoveryCode);
    const reveal = await d.flows.create<RevealState, RevealData>({
      kind: REVEAL_FLOW,
      state: 'shown',
      userId: user.id,
      browserId: bind.browserId,
      data: { methodId: method.id, sealed: d.cipher.seal(shown.join('\n'), aad(user.id, method.id)), session: bind.sessionHash },
      ttlMs: REVEAL_MS,
    });
    if (existing) {
      await d.audit.record({ event: 'method_changed', outcome: 'success', actor: { id: user.id, name: user.username }, target: { id: user.id, name: user.username }, details: { method: 'recovery_code', change: 'regenerated', unused_voided: String(existing.left) } });
      await d.securityInfo.notify(user, 'mail.recoveryCodes.regenerated.body', () => d.securityInfo.describe(method), undefined, { left: codes.length, total: codes.length, voided: existing.left });
    }
    return ok({ revealId: reveal.id, codes: shown, regenerated: existing !== null });
  }

  /** The codes just made, for the download: only in the browser and session that made them, until the user is done or the time is up. */
  async reveal(user: User, revealId: string, bind: RevealBinding): Promise<string[] | null> {
    const open = await this.openReveal(user, revealId, bind);
    if (!open) return null;
    return this.d.cipher.open(open.data.sealed, aad(user.id, open.data.methodId)).split('\n');
  }

  /** "I have saved my codes": the codes can no longer be fetched, and a first set now counts as a method. */
  async finish(user: User, revealId: string, bind: RevealBinding): Promise<MethodResult<{ added: boolean }>> {
    const { d } = this;
    const open = await this.openReveal(user, revealId, bind);
    if (!open) {
      // Done twice (a double click, the back button): fine once the set is registered.
      return (await this.status(user.id)) ? ok({ added: false }) : fail('methods.notFound');
    }
    if (!(await d.flows.advance(open, { state: 'closed', data: { ...open.data, sealed: '' } }))) return (await this.status(user.id)) ? ok({ added: false }) : fail('methods.notFound');
    const method = await d.methods.get(user.id, open.data.methodId);
    if (!method) return fail('methods.notFound');
    if (method.confirmed) return ok({ added: false });
    await d.methods.confirm(user.id, method.id);
    await d.users.markSecurityInfoConfirmed(user.id);
    await d.audit.record({ event: 'method_added', outcome: 'success', actor: { id: user.id, name: user.username }, target: { id: user.id, name: user.username }, details: { method: 'recovery_code' } });
    await d.securityInfo.notify(user, 'mail.methodAdded.body', () => d.securityInfo.describe(method), method);
    return ok({ added: true });
  }

  private async openReveal(user: User, revealId: string, bind: RevealBinding) {
    const loaded = await this.d.flows.load<RevealState, RevealData>(REVEAL_FLOW, revealId, bind.browserId);
    if (!loaded.ok) return null;
    const flow = loaded.value;
    if (flow.userId !== user.id || flow.state !== 'shown' || flow.data.session !== bind.sessionHash || !flow.data.sealed) return null;
    return flow;
  }
}
