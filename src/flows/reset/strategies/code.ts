import { optionalEmailSchema } from '../../../directory/names.js';
import type { User } from '../../../directory/users.js';
import type { Method, MethodStore } from '../../../methods/method-store.js';
import { normalisePhone } from '../../../methods/phone.js';
import type { Outbound } from '../../../methods/outbound.js';
import type { Refusal, SecurityInfoService } from '../../../methods/security-info.js';
import type { MethodChoice } from '../../../policy/policy.js';
import type { Clock } from '../../../shared/clock.js';
import { fail, ok, type Result } from '../../../shared/result.js';
import type { Pending } from '../reset-flow.js';
import { markSendFailed, RESEND_COOLDOWN_MS, sendKeyOf, spendSend, type SendBudgetDeps } from '../send-budget.js';
import type { ProofRefused, ProofStrategy } from './proof-strategy.js';
import { verifyTypedCode } from './typed-code.js';

export interface CodeStrategyDeps extends SendBudgetDeps {
  methods: Pick<MethodStore, 'findByContact' | 'get'>;
  securityInfo: Pick<SecurityInfoService, 'deliverCode' | 'verifyCode'>;
  clock: Clock;
  codeTtlMs: number;
  phoneRegion: string;
  /** Whether a channel is failing now (delivery's log): a decoy is then told "could not send" like a real user. */
  outbound: Pick<Outbound, 'channelFailing'>;
  /** Runs the send without waiting for it, so the answer and its timing are the same whether anything matched. */
  background(send: Promise<unknown>): void;
}

type ContactChoice = 'email' | 'mobile_sms' | 'mobile_voice' | 'office_voice';
const contactChoices: readonly ContactChoice[] = ['email', 'mobile_sms', 'mobile_voice', 'office_voice'];
const contactType = { email: 'email', mobile_sms: 'mobile', mobile_voice: 'mobile', office_voice: 'office' } as const;
const channelOf = { email: 'email', mobile_sms: 'sms', mobile_voice: 'voice', office_voice: 'voice' } as const;
const sentBy = { email: 'email', mobile_sms: 'sms', mobile_voice: 'call', office_voice: 'call' } as const;

export const isContactChoice = (choice: MethodChoice): choice is ContactChoice => (contactChoices as readonly MethodChoice[]).includes(choice);

/**
 * A code sent to an email address or a phone (text or call). The user types the full address
 * or number: contact details are never taken from the request, and a code goes out only when
 * what was typed matches a confirmed, registered one.
 *
 * No silent failure: a code that could not be sent is told ("We could not send a code…"), with
 * when to try again. The destination's budget is spent and checked at once, for a real address
 * and a decoy (a name that matches nobody, a typo'd address) alike, so both are refused at the
 * same count (send-budget.ts). A real send then runs in the background; when delivery does not
 * send it (the provider refused, delivery down, its own limit), the code page says so; a decoy's
 * code page says so too while the channel is failing (its latest send failed).
 */
export function codeStrategy(d: CodeStrategyDeps): ProofStrategy {
  /** Spends the destination's budget (real or decoy alike) and, for a real one, sends in the background; the refusal when the budget is used up. */
  async function send(flowId: string, sentAt: number, user: User | null, method: Method | null, choice: ContactChoice, sendKey: string): Promise<ProofRefused | null> {
    const limited = await spendSend(d, sendKey);
    // A real destination: delivery decides, and records in the delivery log why a message was
    // dropped — also past the budget, where delivery's own limit (the same number) refuses it.
    if (user && method) {
      d.background(
        d.securityInfo.deliverCode(user, method, 'reset', channelOf[choice]).then(async (sent) => {
          if (!sent.ok) await markSendFailed(d, flowId, sentAt);
        }),
      );
    } else if (d.outbound.channelFailing) {
      // A decoy (nothing matched): while the channel is failing a real user would be told their
      // code was not sent, so the decoy is told too — also in the background, for the same timing.
      const failing = d.outbound.channelFailing.bind(d.outbound);
      d.background(
        failing(channelOf[choice]).then(async (down) => {
          if (down) await markSendFailed(d, flowId, sentAt);
        }),
      );
    }
    return limited === null ? null : fail('reset.sendFailed', { vars: { minutes: limited } });
  }

  return {
    choices: contactChoices,
    answer: 'code',
    async choose({ flow, choice, user }, input) {
      if (!isContactChoice(choice)) return fail('methods.notAvailable');
      const contact = normaliseContact(choice, input.contact, d.phoneRegion);
      if (!contact.ok) return fail(contact.reason, { field: 'contact' });
      const found = user ? await d.methods.findByContact(user.id, contactType[choice], contact.value) : null;
      const usable = found?.confirmed ? found : null;
      const now = d.clock.now();
      const sendKey = sendKeyOf(d.lookupKey, contactType[choice], contact.value);
      const refused = await send(flow.id, now, user, usable, choice, sendKey);
      if (refused) return refused;
      const pending: Pending = { choice, gate: contactType[choice], methodId: usable?.id ?? null, expiresAt: now + d.codeTtlMs, sentAt: now, sendKey };
      return ok({ pending });
    },
    async resend({ flow, user, pending }) {
      if (!isContactChoice(pending.choice) || !pending.sendKey) return fail('reset.notAllowedNow');
      const now = d.clock.now();
      const wait = (pending.sentAt ?? 0) + RESEND_COOLDOWN_MS - now;
      if (wait > 0) return fail('reset.resendTooSoon', { vars: { seconds: Math.ceil(wait / 1000) } });
      const method = user && pending.methodId ? await d.methods.get(user.id, pending.methodId) : null;
      const refused = await send(flow.id, now, user, method?.confirmed ? method : null, pending.choice, pending.sendKey);
      if (refused) return refused;
      return ok({ ...pending, expiresAt: now + d.codeTtlMs, sentAt: now });
    },
    verify: (attempt, typed) => verifyTypedCode(d, attempt, typed, async (_user, matched) => matched),
    step: (pending) => ({ kind: 'code', from: isContactChoice(pending.choice) ? sentBy[pending.choice] : 'email', minutes: d.codeTtlMs / 60_000, resendAt: (pending.sentAt ?? 0) + RESEND_COOLDOWN_MS }),
  };
}

function normaliseContact(choice: ContactChoice, input: unknown, phoneRegion: string): Result<string, Refusal> {
  if (choice === 'email') {
    const parsed = optionalEmailSchema.safeParse(input);
    if (!parsed.success || !parsed.data) return fail('v.email.invalid');
    return ok(parsed.data.toLowerCase());
  }
  const phone = normalisePhone(typeof input === 'string' ? input : '', phoneRegion);
  return phone.ok ? ok(phone.value) : fail(phone.reason);
}
