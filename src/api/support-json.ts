import { z } from 'zod';
import { roles } from '../directory/names.js';
import type { Translate } from '../i18n/index.js';
import type { SupportView } from '../support/types.js';

/**
 * `GET /api/v1/users/{username}/support`: the support page as JSON. Built field by field from the
 * SupportView, whose contacts are already masked (`a•••@example.com`, `+49 •••• ••78`): no full
 * address or number, no secret, no session token is in it.
 */

const time = z.iso.datetime().describe('ISO 8601 time, UTC');

const adStateJson = z.object({
  ok: z.literal(true),
  readAt: time.describe('When the agent read it from AD'),
  enabled: z.boolean(),
  lockedOut: z.boolean(),
  lockedAt: time.nullable().describe('lockoutTime, while locked'),
  passwordLastSet: time.nullable().describe('pwdLastSet; null when 0 (must change) or never set'),
  passwordExpiresAt: time.nullable().describe('msDS-UserPasswordExpiryTimeComputed as AD computed it; null: never expires'),
  mustChangeAtNextLogon: z.boolean(),
  protectedAccount: z.boolean().describe('adminCount=1 or a member of a protected group: the agent does not write to it'),
});
const adFailedJson = z.object({
  ok: z.literal(false),
  reason: z.enum(['no_agent', 'timeout', 'not_found', 'dc_unreachable', 'failed']),
  message: z.string().describe('Why the AD state is not shown, in plain words.'),
});

export const supportViewJsonSchema = z.object({
  user: z.object({
    id: z.string(),
    username: z.string(),
    displayName: z.string(),
    email: z.string().nullable().describe('The directory email address, masked: a•••@example.com'),
    enabled: z.boolean(),
    source: z.enum(['cloud', 'onprem']),
    roles: z.array(z.enum(roles)),
    passwordChangedAt: time.nullable(),
  }),
  methods: z.array(
    z.object({
      id: z.string().describe('The method id (for removing it), or "questions"'),
      type: z.enum(['email', 'mobile', 'office', 'totp', 'passkey', 'recovery_code', 'questions']),
      masked: z.string().describe('a•••@example.com, +49 •••• ••78, a passkey\'s or app\'s name; empty for recovery codes and questions'),
      registeredAt: time.nullable(),
      lastUsedAt: time.nullable(),
      isDefault: z.boolean(),
      canReceive: z.boolean().describe('A code or a reset link can be sent to it'),
      recoveryCodes: z.object({ left: z.number().int(), total: z.number().int() }).nullable(),
    }),
  ),
  selfService: z.object({
    blockedUntil: time.nullable(),
    blockedBy: z.enum(['wrong_codes', 'email_sends', 'phone_checks']).nullable(),
    failedAttempts: z.number().int().describe('Wrong codes, answers and passkey assertions counted towards the block'),
    threshold: z.number().int(),
    codesSent: z.object({ email: z.number().int(), phone: z.number().int() }).describe('The counters towards the send limits: emails in the last 10 minutes, texts, calls and app checks in the last hour'),
    codesLastHour: z.object({ email: z.number().int(), phone: z.number().int() }).describe('Codes the delivery log shows sent in the last hour, by email and by text or call'),
    notMe: z.object({ reportedEvent: z.string(), reportedEventAt: time, blockedAt: time }).nullable().describe('Self-service off after the user\'s "this wasn\'t me"'),
  }),
  signIn: z.object({ lockedUntil: time.nullable(), failures: z.number().int() }),
  sessions: z.array(z.object({ createdAt: time, lastSeenAt: time, ip: z.string(), userAgent: z.string() })).describe('Active sessions, newest first (never a token)'),
  ad: z.union([adStateJson, adFailedJson]).nullable().describe('Hybrid users: the AD account read live through the on-premises agent. null for cloud users.'),
  recentEvents: z.array(z.object({ at: time, event: z.string(), outcome: z.string(), actor: z.string().nullable(), details: z.record(z.string(), z.unknown()) })).describe('The last 20 audit events about the user, newest first'),
  reregistrationRequiredAt: time.nullable(),
  verifiedUntil: time.nullable().describe('Until when the caller counts as verified by this viewer; always null for a token'),
});
export type SupportViewJson = z.output<typeof supportViewJsonSchema>;

const iso = (ms: number) => new Date(ms).toISOString();
const isoOrNull = (ms: number | null) => (ms === null ? null : iso(ms));

export function supportViewJson(v: SupportView, t: Translate): SupportViewJson {
  const u = v.user;
  const s = v.selfService;
  const ad: SupportViewJson['ad'] =
    v.ad === null
      ? null
      : v.ad.ok
        ? { ok: true, readAt: iso(v.ad.readAt), ...v.ad.state, lockedAt: isoOrNull(v.ad.state.lockedAt), passwordLastSet: isoOrNull(v.ad.state.passwordLastSet), passwordExpiresAt: isoOrNull(v.ad.state.passwordExpiresAt) }
        : { ok: false, reason: adReason(v.ad.reason), message: t(`support.ad.failed.${adReason(v.ad.reason)}`) };
  return {
    user: { id: u.id, username: u.username, displayName: u.displayName, email: u.email, enabled: u.enabled, source: u.source, roles: [...u.roles], passwordChangedAt: isoOrNull(u.passwordChangedAt) },
    methods: v.methods.map((m) => ({ id: m.id, type: m.type, masked: m.masked, registeredAt: isoOrNull(m.registeredAt), lastUsedAt: isoOrNull(m.lastUsedAt), isDefault: m.isDefault, canReceive: m.canReceive, recoveryCodes: m.recoveryCodes ?? null })),
    selfService: {
      blockedUntil: isoOrNull(s.blockedUntil),
      blockedBy: s.blockedBy ?? null,
      failedAttempts: s.failedAttempts,
      threshold: s.threshold,
      codesSent: { ...s.codesSent },
      codesLastHour: { ...s.codesLastHour },
      notMe: s.notMe ? { reportedEvent: s.notMe.reportedEvent, reportedEventAt: iso(s.notMe.reportedEventAt), blockedAt: iso(s.notMe.blockedAt) } : null,
    },
    signIn: { lockedUntil: isoOrNull(v.signIn.lockedUntil), failures: v.signIn.failures },
    sessions: v.sessions.map((x) => ({ createdAt: iso(x.createdAt), lastSeenAt: iso(x.lastSeenAt), ip: x.ip, userAgent: x.userAgent })),
    ad,
    recentEvents: v.recentEvents.map((e) => ({ at: iso(e.at), event: e.event, outcome: e.outcome, actor: e.actorName, details: e.details })),
    reregistrationRequiredAt: isoOrNull(v.reregistrationRequiredAt),
    verifiedUntil: isoOrNull(v.verifiedUntil),
  };
}

const adReasons = ['no_agent', 'timeout', 'not_found', 'dc_unreachable', 'failed'] as const;
function adReason(reason: string): (typeof adReasons)[number] {
  return (adReasons as readonly string[]).includes(reason) ? (reason as (typeof adReasons)[number]) : 'failed';
}
