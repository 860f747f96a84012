import type { AppContext } from '../http/context.js';
import type { ReportedPolicy } from '../agent-protocol/index.js';

/** The domain's own password policy, as the agent read it from AD (Entra does not show it). */
export function OnPremisesRules({ c, policy, context }: { c: AppContext; policy: ReportedPolicy; context: 'reset' | 'change' }) {
  const t = c.get('t');
  const days = (ms: number) => Math.round(ms / 86_400_000);
  // A reset is held to the history and minimum age only where the DC takes the policy-hints
  // control (the agent says so: resetHistory); a change by the user always is.
  const checksHistory = context === 'change' || policy.resetHistory === true;
  return (
    <>
      <p>{t('reset.adRules.lead')}</p>
      <ul>
        {policy.minLength > 0 ? <li>{t('reset.adRules.length', { n: policy.minLength })}</li> : null}
        {policy.complexity ? <li>{t('reset.adRules.complexity')}</li> : null}
        {checksHistory && policy.historyLength > 0 ? <li>{t('reset.adRules.history', { n: policy.historyLength })}</li> : null}
        {checksHistory && policy.minAgeMs > 0 ? <li>{t('reset.adRules.minAge', { n: Math.max(1, days(policy.minAgeMs)) })}</li> : null}
        {policy.maxAgeMs ? <li>{t('reset.adRules.maxAge', { n: days(policy.maxAgeMs) })}</li> : null}
      </ul>
      {context === 'reset' && policy.resetHistory === false && policy.historyLength > 0 ? <p>{t('reset.adRules.historyNotOnReset')}</p> : null}
    </>
  );
}

