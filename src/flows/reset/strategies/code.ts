import { optionalEmailSchema } from '../../../directory/names.js';
import type { MethodStore } from '../../../methods/method-store.js';
import { normalisePhone } from '../../../methods/phone.js';
import type { Refusal, SecurityInfoService } from '../../../methods/security-info.js';
import type { MethodChoice } from '../../../policy/policy.js';
import type { Clock } from '../../../shared/clock.js';
import { fail, ok, type Result } from '../../../shared/result.js';
import type { ProofStrategy } from './proof-strategy.js';
import { verifyTypedCode } from './typed-code.js';

export interface CodeStrategyDeps {
  methods: Pick<MethodStore, 'findByContact' | 'get'>;
  securityInfo: Pick<SecurityInfoService, 'deliverCode' | 'verifyCode'>;
  clock: Clock;
  codeTtlMs: number;
  phoneRegion: string;
  /** Runs the send without waiting for it, so the answer and its timing are the same whether anything matched. */
  background(send: Promise<unknown>): void;
}

type ContactChoice = 'email' | 'mobile_sms' | 'mobile_voice' | 'office_voice';
const contactChoices: readonly ContactChoice[] = ['email', 'mobile_sms', 'mobile_voice', 'office_voice'];
const contactType = { email: 'email', mobile_sms: 'mobile', mobile_voice: 'mobile', office_voice: 'office' } as const;
const channelOf = { email: 'email', mobile_sms: 'sms', mobile_voice: 'voice', office_voice: 'voice' } as const;
const sentBy = { email: 'email', mobile_sms: 'sms', mobile_voice: 'call', office_voice: 'call' } as const;

const isContactChoice = (choice: MethodChoice): choice is ContactChoice => (contactChoices as readonly MethodChoice[]).includes(choice);

/**
 * A code sent to an email address or a phone (text or call). The user types the full address
 * or number: contact details are never taken from the request, and a code goes out only when
 * what was typed matches a confirmed, registered one.
 */
export function codeStrategy(d: CodeStrategyDeps): ProofStrategy {
  return {
    choices: contactChoices,
    answer: 'code',
    async choose({ choice, user }, input) {
      if (!isContactChoice(choice)) return fail('methods.notAvailable');
      const contact = normaliseContact(choice, input.contact, d.phoneRegion);
      if (!contact.ok) return fail(contact.reason, { field: 'contact' });
      const method = user ? await d.methods.findByContact(user.id, contactType[choice], contact.value) : null;
      const usable = method?.confirmed ? method : null;
      const pending = { choice, gate: contactType[choice], methodId: usable?.id ?? null, expiresAt: d.clock.now() + d.codeTtlMs };
      if (user && usable) d.background(d.securityInfo.deliverCode(user, usable, 'reset', channelOf[choice]));
      return ok({ pending });
    },
    verify: (attempt, typed) => verifyTypedCode(d, attempt, typed, async (_user, matched) => matched),
    step: (pending) => ({ kind: 'code', from: isContactChoice(pending.choice) ? sentBy[pending.choice] : 'email', minutes: d.codeTtlMs / 60_000 }),
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
