import { z } from 'zod';
import type { Config } from '../config/schema.js';
import { initialPasswordRules, passwordRulesIssues, passwordRulesSchema } from './password-rules.js';

/**
 * The SSPR policy: who may reset, with which methods and how many, registration, notifications,
 * the helpdesk contact and the on-premises switches — every setting Entra's SSPR blade has, one
 * document per version (src/policy/policy-service.ts stores and audits them).
 */

/** What an organisation can allow; a mobile phone counts once whether it gets texts, calls or both. */
export const methodChoices = ['email', 'mobile_sms', 'mobile_voice', 'office_voice', 'totp', 'passkey', 'questions', 'recovery_code'] as const;
export type MethodChoice = (typeof methodChoices)[number];

/** Registered method types (auth_methods.type, plus 'questions'), each one gate at most. */
export type GateType = 'email' | 'mobile' | 'office' | 'totp' | 'passkey' | 'questions' | 'recovery_code';

export const gateOfChoice: Record<MethodChoice, GateType> = {
  email: 'email',
  mobile_sms: 'mobile',
  mobile_voice: 'mobile',
  office_voice: 'office',
  totp: 'totp',
  passkey: 'passkey',
  questions: 'questions',
  /** A set of saved recovery codes is one method, however many codes are left. */
  recovery_code: 'recovery_code',
};

/**
 * Administrators always get the two-gate policy: two methods, never security questions (Entra's rule).
 * Saved recovery codes are a look-up secret NIST accepts: an administrator who lost a phone may use one, as one of the two.
 */
export const ADMIN_METHODS: readonly MethodChoice[] = ['email', 'mobile_sms', 'mobile_voice', 'office_voice', 'totp', 'passkey', 'recovery_code'];

const uuid = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, 'v.policy.groupId');

/** A helpdesk contact users see when they cannot go on: an https/http address or an email address. */
export const helpdeskSchema = z
  .string()
  .trim()
  .max(300, 'v.policy.helpdesk')
  .refine((v) => /^https?:\/\/[^\s]+$/i.test(v) || /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(v), 'v.policy.helpdesk');

export const policySchema = z
  .strictObject({
    /** Who may use self-service reset: nobody, members (direct or nested) of the listed groups, or everyone. */
    enabledFor: z.enum(['none', 'selected', 'all'], 'v.policy.enabledFor'),
    groups: z.array(uuid, 'v.policy.groups').max(50, 'v.policy.groupsTooMany'),
    methodsRequired: z.union([z.literal(1), z.literal(2)], 'v.policy.methodsRequired'),
    methodsAvailable: z.array(z.enum(methodChoices, 'v.policy.method'), 'v.policy.methodsAvailable').min(1, 'v.policy.methodsAvailable').max(methodChoices.length),
    questions: z.strictObject({
      toRegister: z.number('v.policy.questionCount').int('v.policy.questionCount').min(3, 'v.policy.questionCount').max(5, 'v.policy.questionCount'),
      toAnswer: z.number('v.policy.questionCount').int('v.policy.questionCount').min(3, 'v.policy.questionCount').max(5, 'v.policy.questionCount'),
      custom: z.array(z.string('v.policy.customQuestion').trim().min(3, 'v.policy.customQuestion').max(200, 'v.policy.customQuestion'), 'v.policy.customQuestion').max(20, 'v.policy.customQuestionsTooMany'),
    }),
    registration: z.strictObject({
      required: z.boolean('v.policy.boolean'),
      /** Days before users are asked to re-confirm their security info; 0 = never. */
      reconfirmDays: z.number('v.policy.reconfirmDays').int('v.policy.reconfirmDays').min(0, 'v.policy.reconfirmDays').max(730, 'v.policy.reconfirmDays'),
    }),
    notifications: z.strictObject({
      usersOnReset: z.boolean('v.policy.boolean'),
      adminsOnAdminReset: z.boolean('v.policy.boolean'),
    }),
    customization: z.strictObject({
      /** Shown to users who cannot reset; null = the generic "contact your administrator". */
      helpdesk: helpdeskSchema.nullable(),
    }),
    onPremises: z.strictObject({
      writeback: z.boolean('v.policy.boolean'),
      allowUnlock: z.boolean('v.policy.boolean'),
      passwordHashSync: z.boolean('v.policy.boolean'),
    }),
    /** Versions saved before this setting existed read as on (the safe side). */
    reset: z
      .strictObject({
        /**
         * A user who registered an authenticator app or a passkey must pass one of them (or two
         * other methods) to reset or unlock (OWASP ASVS 5.0 6.4.3, NIST SP 800-63B-4 §4.2).
         */
        neverWeakerThanSignIn: z.boolean('v.policy.boolean').default(true),
        /**
         * After the CAPTCHA, the list of ways shows masked hints of the methods the named user
         * registered ("Email a•••@example.com"), as Entra does. Off by default: it tells whoever
         * typed the name that the account exists and which methods it has (enumeration).
         */
        showRegisteredHints: z.boolean('v.policy.boolean').default(false),
      })
      .prefault({}),
    /** The password rules (password-rules.ts). */
    passwords: passwordRulesSchema,
    /** The support desk (src/support/). Versions saved before this setting existed read as these defaults. */
    helpdesk: z
      .strictObject({
        /** The reset-link and unlock actions stay locked until the caller was verified with one of their own methods in the last 10 minutes. */
        requireVerification: z.boolean('v.policy.boolean').default(true),
        /** Administrators (never the helpdesk) may set a temporary password the user must change. */
        temporaryPasswords: z.boolean('v.policy.boolean').default(true),
      })
      .prefault({}),
  })
  .superRefine((p, ctx) => {
    if (new Set(p.methodsAvailable).size !== p.methodsAvailable.length) ctx.addIssue({ code: 'custom', path: ['methodsAvailable'], message: 'v.policy.methodsDuplicate' });
    // Two gates need two different kinds of method to choose from.
    if (new Set(p.methodsAvailable.map((m) => gateOfChoice[m])).size < p.methodsRequired) ctx.addIssue({ code: 'custom', path: ['methodsAvailable'], message: 'v.policy.tooFewMethods' });
    if (p.questions.toAnswer > p.questions.toRegister) ctx.addIssue({ code: 'custom', path: ['questions', 'toAnswer'], message: 'v.policy.toAnswer' });
    if (p.enabledFor === 'selected' && p.groups.length === 0) ctx.addIssue({ code: 'custom', path: ['groups'], message: 'v.policy.groupsRequired' });
    if (new Set(p.groups).size !== p.groups.length) ctx.addIssue({ code: 'custom', path: ['groups'], message: 'v.policy.groupsDuplicate' });
    const lowered = p.questions.custom.map((q) => q.toLowerCase());
    if (new Set(lowered).size !== lowered.length) ctx.addIssue({ code: 'custom', path: ['questions', 'custom'], message: 'v.policy.customQuestionDuplicate' });
    for (const issue of passwordRulesIssues(p.passwords)) ctx.addIssue({ code: 'custom', ...issue });
  });

export type Policy = z.output<typeof policySchema>;

/** The policy a new installation starts with: `methods.*` and `branding.helpdesk` of the configuration. */
export function initialPolicy(config: Pick<Config, 'methods' | 'branding' | 'passwords'>): Policy {
  const m = config.methods;
  const helpdesk = config.branding.helpdesk && helpdeskSchema.safeParse(config.branding.helpdesk).success ? config.branding.helpdesk.trim() : null;
  return {
    enabledFor: 'all',
    groups: [],
    methodsRequired: m.required === 2 ? 2 : 1,
    methodsAvailable: [...new Set(m.available)],
    questions: { toRegister: m.questions.toRegister, toAnswer: m.questions.toAnswer, custom: [...m.questions.custom] },
    registration: { required: m.registrationRequired, reconfirmDays: m.reconfirmDays },
    notifications: { usersOnReset: true, adminsOnAdminReset: true },
    customization: { helpdesk },
    onPremises: { writeback: true, allowUnlock: true, passwordHashSync: false },
    reset: { neverWeakerThanSignIn: true, showRegisteredHints: false },
    passwords: initialPasswordRules(config.passwords),
    helpdesk: { requireVerification: true, temporaryPasswords: true },
  };
}

/**
 * The methods that make a sign-in strong: whoever registered one must use one of them, or two
 * of any other kind, to reset (`reset.neverWeakerThanSignIn`). Every other gate — email, phones,
 * questions and whatever method comes next — is an "other" method.
 */
export const SIGN_IN_STRENGTH_GATES: readonly GateType[] = ['totp', 'passkey'];

export function isStrongGate(gate: string): boolean {
  return (SIGN_IN_STRENGTH_GATES as readonly string[]).includes(gate);
}

/** What applies to one user: administrators get two gates and no security questions, whatever the policy says. */
export interface EffectivePolicy {
  required: 1 | 2;
  available: readonly MethodChoice[];
  gates: ReadonlySet<GateType>;
  admin: boolean;
}

export function effectiveFor(policy: Policy, user: { roles: readonly string[] }): EffectivePolicy {
  const admin = user.roles.includes('administrator');
  const available = admin ? ADMIN_METHODS : policy.methodsAvailable;
  return { required: admin ? 2 : policy.methodsRequired, available, gates: new Set(available.map((m) => gateOfChoice[m])), admin };
}

/** Sections of the policy as the console and the API group them (Entra's blade has the first six). */
export const policySections = {
  properties: ['enabledFor', 'groups'],
  methods: ['methodsRequired', 'methodsAvailable', 'reset', 'questions'],
  registration: ['registration'],
  notifications: ['notifications'],
  customization: ['customization'],
  onPremises: ['onPremises'],
  passwords: ['passwords'],
  helpdesk: ['helpdesk'],
} as const satisfies Record<string, ReadonlyArray<keyof Policy>>;

export type PolicySection = keyof typeof policySections;

/** Dotted paths whose values differ, for the audit trail ("methodsRequired", "questions.toAnswer"). */
export function changedPaths(before: unknown, after: unknown, prefix = ''): string[] {
  if (typeof before === 'object' && before !== null && !Array.isArray(before) && typeof after === 'object' && after !== null && !Array.isArray(after)) {
    const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
    return [...keys].flatMap((k) => changedPaths((before as Record<string, unknown>)[k], (after as Record<string, unknown>)[k], prefix ? `${prefix}.${k}` : k));
  }
  return JSON.stringify(before) === JSON.stringify(after) ? [] : [prefix];
}
