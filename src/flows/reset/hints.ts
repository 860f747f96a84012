import { maskEmail, maskPhone } from '../../delivery/destinations.js';
import type { User } from '../../directory/users.js';
import type { MethodStore } from '../../methods/method-store.js';
import type { MethodChoice, Policy } from '../../policy/policy.js';

/**
 * With `reset.showRegisteredHints` on (Entra's behaviour, off by default): masked hints of the
 * contact methods the user registered, per way on the list ("a•••@example.com", "+49 •••• ••78").
 * It tells whoever typed the name that the account exists and what it registered — the trade-off
 * the policy page and the README state. Off, or for a decoy, there are none.
 */
export async function registeredHints(d: { methods: Pick<MethodStore, 'list'> }, user: User | null, policy: Policy): Promise<Partial<Record<MethodChoice, string[]>>> {
  if (!policy.reset.showRegisteredHints || !user) return {};
  const hints: Partial<Record<MethodChoice, string[]>> = {};
  const add = (choice: MethodChoice, hint: string) => (hints[choice] ??= []).push(hint);
  for (const m of await d.methods.list(user.id, { confirmedOnly: true })) {
    if (!m.contact) continue;
    if (m.type === 'email') add('email', maskEmail(m.contact));
    if (m.type === 'mobile') {
      add('mobile_sms', maskPhone(m.contact));
      add('mobile_voice', maskPhone(m.contact));
    }
    if (m.type === 'office') add('office_voice', maskPhone(m.contact));
  }
  return hints;
}
