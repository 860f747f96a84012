import type { AppContext } from '../../../http/context.js';
import type { MessageKey } from '../../../i18n/index.js';

/** "Step 2 of 3 · Prove it is you": in words (not only a colour or a bar), read out with the heading that follows. */
export function StepIndicator({ c, step, label }: { c: AppContext; step: { n: number; of: number }; label: MessageKey }) {
  const t = c.get('t');
  return (
    <p class="muted" data-step-indicator>
      <strong>{t('reset.step', { n: step.n, total: step.of })}</strong>
      {' · '}
      {t(label)}
    </p>
  );
}
