import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { en } from '../i18n/en.js';
import { translator } from '../i18n/index.js';
import { roles } from '../directory/names.js';
import { AUDIT_EVENTS, AUDIT_OUTCOMES } from './events.js';
import { DELIVERY_KINDS } from '../delivery/kinds.js';
import { scanAuditEvents, scanDeliveryKinds } from './code-scan.js';
import { detailValue, humanize } from '../http/ui/code-labels.js';

const src = fileURLToPath(new URL('..', import.meta.url));
const has = (key: string) => Object.hasOwn(en, key);

describe('the catalogue of codes', () => {
  const events = scanAuditEvents(src);
  const kinds = scanDeliveryKinds(src);

  it('finds the events and kinds of the sources (the scan itself works)', () => {
    for (const e of ['sign_in', 'policy_changed', 'user_created', 'support_sign_in_unlocked', 'not_me_reported', 'password_set_by_reset', 'caller_verification_started']) expect(events).toContain(e);
    for (const k of ['code:reset', 'code:register', 'notify:method-changed', 'notify:password-reset', 'notify:support-unlock-ad', 'support:reset-link']) expect(kinds).toContain(k);
  });

  it('lists every audit event recorded anywhere in src, each with words', () => {
    expect([...events].filter((e) => !(AUDIT_EVENTS as readonly string[]).includes(e))).toEqual([]);
    expect(AUDIT_EVENTS.filter((e) => !has(`audit.event.${e}`))).toEqual([]);
    expect(AUDIT_OUTCOMES.filter((o) => !has(`audit.outcome.${o}`))).toEqual([]);
  });

  it('lists every delivery kind sent anywhere in src, each with words', () => {
    expect([...kinds].filter((k) => !(DELIVERY_KINDS as readonly string[]).includes(k))).toEqual([]);
    expect(DELIVERY_KINDS.filter((k) => !has(`delivery.kind.${k}`))).toEqual([]);
  });

  it('has words for every role', () => {
    expect(roles.filter((r) => !has(`role.${r}`))).toEqual([]);
  });

  it('reads values as words: codes, lists, booleans, ids as names, and leaves empty ones out', () => {
    const t = translator('en');
    const id = '0b3c5a1e-1111-4222-8333-944455556666';
    expect(detailValue(t, 'reason', 'nothing_matched', new Map())).toBe('no registered method matched');
    expect(detailValue(t, 'to', 'administrator,password_administrator', new Map())).toBe('Administrator, Password administrator');
    expect(detailValue(t, 'memberId', id, new Map([[id, 'alice']]))).toBe('alice');
    expect(detailValue(t, 'memberId', id, new Map())).not.toContain(id);
    expect(detailValue(t, 'method', '', new Map())).toBe('');
    expect(detailValue(t, 'eligible', true, new Map())).toBe('yes');
    expect(detailValue(t, 'reason', 'onprem_too_short', new Map())).toBe('the password was too short (Active Directory)');
    expect(detailValue(t, 'note', 'Caller confirmed by phone', new Map())).toBe('Caller confirmed by phone');
    expect(humanize('brand_new_reason')).toBe('Brand new reason');
    expect(humanize('sessionsRevoked')).toBe('Sessions revoked');
  });
});
