import type { AuditLog } from '../audit/audit-log.js';
import type { Config } from '../config/schema.js';
import type { Delivery } from '../delivery/delivery.js';
import { emailDestination, phoneDestination } from '../delivery/destinations.js';
import type { EmailContent, RenderedEmail } from '../delivery/templates.js';
import type { Actor } from '../directory/directory-service.js';
import type { Translate } from '../i18n/index.js';

/** What a test message did: handed to the provider, kept in the outbox, or why not. */
export type TestOutcome = { ok: true; via: 'outbox' | 'provider'; provider: string; to: string } | { ok: false; reason: 'badAddress' | 'limited' | 'failed'; detail: string | null };

export interface TestMessageDeps {
  delivery: Pick<Delivery, 'email' | 'sms'>;
  settings: () => Config['delivery'];
  render: (content: EmailContent, t: Translate) => RenderedEmail;
  audit: AuditLog;
  productName: string;
}

/**
 * "Send a test message" on the delivery settings: one message through the settings in force, the
 * same path and limits as every other message, audited `settings_test_sent` with the masked
 * destination (never the body). The administrator sees the provider's answer in words.
 */
export class TestMessages {
  constructor(private readonly d: TestMessageDeps) {}

  async email(actor: Actor, to: string, t: Translate): Promise<TestOutcome> {
    const dest = emailDestination(to);
    if (!dest.ok) return { ok: false, reason: 'badAddress', detail: null };
    const mail = this.d.render({ title: t('settings.test.email.subject'), paragraphs: [t('settings.test.email.body', { product: this.d.productName, admin: actor.name })] }, t);
    const sent = await this.d.delivery.email({ to: dest.value.address, subject: mail.subject, text: mail.text, html: mail.html, kind: 'test', userId: actor.id });
    const s = this.d.settings();
    return this.finish(actor, 'email', dest.value.hint, sent, s.mode === 'smtp' && s.smtp ? `SMTP ${s.smtp.host}:${s.smtp.port}` : null);
  }

  async sms(actor: Actor, to: string, t: Translate): Promise<TestOutcome> {
    const dest = phoneDestination(to);
    if (!dest.ok) return { ok: false, reason: 'badAddress', detail: null };
    const sent = await this.d.delivery.sms({ to: dest.value.address, text: t('settings.test.sms.body', { product: this.d.productName }), kind: 'test', userId: actor.id });
    const p = this.d.settings().phone.provider;
    return this.finish(actor, 'sms', dest.value.hint, sent, p === 'outbox' ? null : p === 'twilio' ? 'Twilio' : 'webhook');
  }

  private async finish(actor: Actor, channel: 'email' | 'sms', hint: string, sent: Awaited<ReturnType<Delivery['email']>>, provider: string | null): Promise<TestOutcome> {
    const outcome: TestOutcome = sent.ok
      ? provider
        ? { ok: true, via: 'provider', provider, to: hint }
        : { ok: true, via: 'outbox', provider: 'outbox', to: hint }
      : { ok: false, reason: sent.reason === 'rate_limited' ? 'limited' : 'failed', detail: sent.detail };
    await this.d.audit.record({
      event: 'settings_test_sent',
      outcome: sent.ok ? 'success' : 'failure',
      actor: { id: actor.id, name: actor.name },
      ip: actor.ip ?? null,
      userAgent: actor.userAgent ?? null,
      details: { channel, to: hint, via: provider ?? 'outbox', ...(sent.ok ? {} : { reason: sent.reason }) },
    });
    return outcome;
  }
}
