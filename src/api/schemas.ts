import { z } from 'zod';
import { verificationCheckBody, verificationCheckedJsonSchema, verificationStartBody, verificationStartedJsonSchema } from './verification-schemas.js';
import type { AuditRow } from '../audit/audit-query.js';
import type { Group } from '../directory/groups.js';
import { descriptionSchema, displayNameSchema, groupNameSchema, optionalEmailSchema, roleSchema, roles, usernameSchema } from '../directory/names.js';
import type { User } from '../directory/users.js';
import type { PolicyVersion } from '../policy/policy-service.js';
import { policySchema } from '../policy/policy.js';
import { apiErrorCodes } from './errors.js';
import { supportViewJsonSchema } from './support-json.js';

/**
 * Shapes of the JSON API, in both directions. Request bodies and query strings are strict:
 * an unknown key is an error (a typo must not pass silently). Responses are built by the
 * mappers below from these schemas' types, and the OpenAPI document is derived from the same
 * schemas, so what is documented is what is sent.
 */

// ---- requests ------------------------------------------------------------------------------

/** An object whose keys may each be left out, and those of the objects inside it too. */
function deepPartial(schema: z.ZodType): z.ZodType {
  if (!(schema instanceof z.ZodObject)) return schema;
  const shape: Record<string, z.ZodType> = {};
  for (const [key, inner] of Object.entries(schema.shape as Record<string, z.ZodType>)) shape[key] = deepPartial(inner).optional();
  return z.strictObject(shape);
}

/** A policy document where every section may be left out and each section's keys too (PATCH). */
function partialPolicySchema() {
  return deepPartial(policySchema);
}
export const policyPatchSchema = partialPolicySchema();

const expectedVersion = z.number().int().min(0).max(2_147_483_647).optional().describe('The version the change is based on (from GET /policy). If the policy is at another version now, nothing is saved and the answer is 409.');
const comment = z.string().max(500).optional().describe('Why the change was made; kept with the version and in the audit log.');

export const putPolicyBody = z.strictObject({ policy: policySchema, expectedVersion, comment });
export const patchPolicyBody = z.strictObject({ policy: policyPatchSchema, expectedVersion, comment });

export const createUserBody = z.strictObject({
  username: usernameSchema,
  displayName: displayNameSchema,
  email: optionalEmailSchema.nullable().optional(),
  roles: z.array(roleSchema).min(1).max(roles.length).optional().describe('Default: ["user"].'),
  password: z.string().max(4096, 'v.password.tooLong').optional().describe('Optional. Checked against every password rule (length, banned and common passwords, strength). Without one the user cannot sign in until a password is set.'),
});

export const updateUserBody = z
  .strictObject({
    displayName: displayNameSchema.optional(),
    email: optionalEmailSchema.nullable().optional().describe('null or "" removes the address.'),
    roles: z.array(roleSchema).min(1).max(roles.length).optional().describe('The whole set of roles; the last enabled administrator keeps theirs.'),
  })
  .refine((b) => b.displayName !== undefined || b.email !== undefined || b.roles !== undefined, { message: 'api.v.nothingToChange', path: ['displayName'] })
  .describe('Only the fields given change. A user from Active Directory takes its name and email from there (422 when they are given).');

/** A query-string integer: digits only, then the range. */
const intParam = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d{1,9}$/, 'api.v.integer')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

export const usersQuery = z.strictObject({
  q: z.string().max(256).optional(),
  page: intParam(1, 1_000_000).optional(),
  pageSize: intParam(1, 200).optional(),
});

export const versionsQuery = z.strictObject({ limit: intParam(1, 500).optional() });

export const auditQuery = z.strictObject({
  event: z.string().regex(/^[a-z_]{1,64}$/).optional(),
  outcome: z.enum(['success', 'failure', 'blocked', 'info']).optional(),
  user: z.string().max(256).optional(),
  from: z.iso.date('api.v.date').optional(),
  to: z.iso.date('api.v.date').optional(),
  attention: z
    .enum(['true', 'false'])
    .transform((v) => (v === 'true' ? ('1' as const) : undefined))
    .optional(),
  page: intParam(1, 1_000_000).optional(),
  pageSize: intParam(1, 200).optional(),
});

export const versionParam = z.string().regex(/^\d{1,9}$/, 'api.v.integer').transform(Number);

// ---- responses -----------------------------------------------------------------------------

const time = z.iso.datetime().describe('ISO 8601 time, UTC');

export const userJsonSchema = z.object({
  id: z.string(),
  username: z.string(),
  displayName: z.string(),
  email: z.string().nullable().describe('The directory email address (not a registered verification method).'),
  enabled: z.boolean(),
  source: z.enum(['cloud', 'onprem']),
  anchor: z.string().nullable().describe('For users synced from Active Directory: the objectGUID.'),
  roles: z.array(z.enum(roles)),
  hasPassword: z.boolean(),
  passwordChangedAt: time.nullable(),
  createdAt: time,
  securityInfoConfirmedAt: time.nullable(),
});

export const userDetailJsonSchema = userJsonSchema.extend({
  groups: z.array(z.object({ id: z.string(), name: z.string(), direct: z.boolean().describe('false: a member through a nested group') })),
  selfServiceBlock: z
    .object({ reportedEvent: z.string().describe('The event the user reported as not made by them, e.g. password_reset, method_added.'), reportedEventAt: time, blockedAt: time })
    .nullable()
    .describe('Set when the user reported "this wasn\'t me": no self-service (reset, unlock, change, security info) until lifted. null: self-service is on.'),
});

export const userPageJsonSchema = z.object({ items: z.array(userJsonSchema), total: z.number().int(), page: z.number().int(), pageSize: z.number().int() });

export const groupJsonSchema = z.object({ id: z.string(), name: z.string(), description: z.string(), source: z.enum(['cloud', 'onprem']), createdAt: time, directMembers: z.number().int() });
export const groupListJsonSchema = z.object({ items: z.array(groupJsonSchema) });

export const policyVersionJsonSchema = z.object({
  version: z.number().int().describe('0: nothing saved yet, the initial policy from the configuration.'),
  policy: policySchema,
  changedAt: time.nullable(),
  changedBy: z.string().nullable(),
  comment: z.string().nullable(),
});
export const policyVersionListJsonSchema = z.object({ items: z.array(policyVersionJsonSchema) });

export const auditEventJsonSchema = z.object({
  id: z.number().int(),
  at: time,
  event: z.string(),
  outcome: z.string(),
  actor: z.string().nullable(),
  target: z.string().nullable(),
  ip: z.string().nullable(),
  userAgent: z.string().nullable(),
  details: z.record(z.string(), z.unknown()),
  attention: z.boolean().describe('Flagged for an administrator\'s attention, e.g. a user\'s "this wasn\'t me" report.'),
});
export const auditPageJsonSchema = z.object({ items: z.array(auditEventJsonSchema), total: z.number().int(), page: z.number().int(), pageSize: z.number().int() });

export const errorJsonSchema = z.object({
  error: z.object({
    code: z.enum(Object.keys(apiErrorCodes) as [keyof typeof apiErrorCodes, ...Array<keyof typeof apiErrorCodes>]),
    message: z.string().describe('What went wrong, in plain words.'),
    fields: z.record(z.string(), z.string()).optional().describe('Each wrong field (dotted path, e.g. "policy.questions.toAnswer") with what to change.'),
  }),
});

export type UserJson = z.output<typeof userJsonSchema>;
export type UserDetailJson = z.output<typeof userDetailJsonSchema>;
export type GroupJson = z.output<typeof groupJsonSchema>;
export type PolicyVersionJson = z.output<typeof policyVersionJsonSchema>;
export type AuditEventJson = z.output<typeof auditEventJsonSchema>;

const iso = (ms: number) => new Date(ms).toISOString();
const isoOrNull = (ms: number | null) => (ms === null ? null : iso(ms));

/** Field by field on purpose: a field added to User later is not published until it is added here. */
export function userJson(u: User): UserJson {
  return {
    id: u.id,
    username: u.username,
    displayName: u.displayName,
    email: u.email,
    enabled: u.enabled,
    source: u.source,
    anchor: u.anchor,
    roles: [...u.roles],
    hasPassword: u.hasPassword,
    passwordChangedAt: isoOrNull(u.passwordChangedAt),
    createdAt: iso(u.createdAt),
    securityInfoConfirmedAt: isoOrNull(u.securityInfoConfirmedAt),
  };
}

export function groupJson(g: Group & { directMembers: number }): GroupJson {
  return { id: g.id, name: g.name, description: g.description, source: g.source, createdAt: iso(g.createdAt), directMembers: g.directMembers };
}

export function policyVersionJson(v: PolicyVersion): PolicyVersionJson {
  return { version: v.version, policy: v.policy, changedAt: isoOrNull(v.changedAt), changedBy: v.changedBy, comment: v.comment };
}

export function auditEventJson(r: AuditRow): AuditEventJson {
  return { id: Number(r.id), at: iso(Number(r.at)), event: r.event, outcome: r.outcome, actor: r.actor, target: r.target, ip: r.ip, userAgent: r.userAgent, details: r.details, attention: r.attention };
}

/** `POST /passwords/check`: a password to test against the rules in force, optionally as one user's. */
export const passwordCheckBody = z.strictObject({
  password: z.string().min(1).max(4096).describe('The password to test. It is not stored or logged; only the first 5 characters of its SHA-1 leave the portal when the breached check is on.'),
  username: usernameSchema.optional().describe("Test it as this user's password: their names count."),
});

export const passwordVerdictJsonSchema = z.object({
  accepted: z.boolean(),
  user: z.string().nullable().describe('The user it was tested for, or null.'),
  reasons: z.array(z.object({ code: z.string().describe('e.g. tooShort, bannedWord, name, organisation, common, weak, breached, breachedOnce, breachedUnknown'), message: z.string() })).describe('Every rule the password breaks, cheapest check first; empty when accepted.'),
  breachCount: z.number().int().nullable().describe('Times seen in data breaches; null when the check is off or could not be done.'),
  score: z.number().int().min(0).max(4).nullable().describe('Strength estimate (zxcvbn 0–4), null when not estimated.'),
});
export type PasswordVerdictJson = z.output<typeof passwordVerdictJsonSchema>;

/** Named schemas for the OpenAPI document's components (requests are described as accepted, responses as sent). */
// ---- groups (src/api/group-routes.ts) ----
export const newGroupBody = z.strictObject({ name: groupNameSchema, description: descriptionSchema.optional().describe('What the group is for. Default: empty.') });
export const renameGroupBody = z.strictObject({ name: groupNameSchema.describe('The new name; unique (case does not count).') });
export const groupMemberBody = z.strictObject({
  type: z.enum(['user', 'group'], { error: 'v.memberType.invalid' }),
  name: z.string({ error: 'v.field.invalid' }).trim().min(1, 'v.field.invalid').max(256, 'v.field.tooLong').describe('A username, or the name of the group to nest.'),
});

const memberJsonSchema = z.object({ type: z.enum(['user', 'group']), name: z.string(), displayName: z.string() });
export const groupDetailJsonSchema = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string(),
  source: z.enum(['cloud', 'onprem']).describe('onprem: synced from Active Directory, changed there, not here.'),
  createdAt: time,
  directMembers: z.number().int(),
  members: z.array(memberJsonSchema).describe('Direct members: nested groups first, then users.'),
});

// ---- a hybrid user's must-change (POST /users/{username}/require-change) ----
export const resetPasswordBody = z
  .strictObject({
    password: z.string({ error: 'v.password.empty' }).min(1, 'v.password.empty').max(1024, 'v.password.tooLong').optional().describe('the new password; or leave it out and send generate: true'),
    generate: z.boolean({ error: 'v.policy.boolean' }).optional().describe('true: the portal makes a random password and answers it once'),
    mustChange: z.boolean({ error: 'v.policy.boolean' }).optional().describe('a hybrid user must change it at the next sign-in (AD: pwdLastSet 0); refused for a cloud user'),
  })
  .refine((b) => (b.password !== undefined) !== (b.generate === true), { message: 'api.v.passwordOrGenerate', path: ['password'] });
export const passwordResetJsonSchema = z.object({ user: userJsonSchema, password: z.string().optional().describe('only with generate: true, shown this once') });

export const requireChangeBody = z.strictObject({
  mustChange: z.boolean({ error: 'v.policy.boolean' }).default(true).describe('true (the default): the user must change their password at the next sign-in (AD: pwdLastSet 0); false clears it.'),
});

export const requestSchemas = {
  Policy: policySchema,
  PolicyPatch: policyPatchSchema,
  PutPolicyRequest: putPolicyBody,
  PatchPolicyRequest: patchPolicyBody,
  NewUser: createUserBody,
  UpdateUser: updateUserBody,
  NewGroup: newGroupBody,
  RenameGroup: renameGroupBody,
  GroupMember: groupMemberBody,
  RequireChangeRequest: requireChangeBody,
  ResetPasswordRequest: resetPasswordBody,
  PasswordCheckRequest: passwordCheckBody,
  VerificationStartRequest: verificationStartBody,
  VerificationCheckRequest: verificationCheckBody,
} as const;
export const responseSchemas = {
  Policy: policySchema,
  PolicyVersion: policyVersionJsonSchema,
  PolicyVersionList: policyVersionListJsonSchema,
  User: userJsonSchema,
  UserDetail: userDetailJsonSchema,
  PasswordReset: passwordResetJsonSchema,
  UserPage: userPageJsonSchema,
  Group: groupJsonSchema,
  GroupList: groupListJsonSchema,
  GroupDetail: groupDetailJsonSchema,
  AuditEvent: auditEventJsonSchema,
  AuditPage: auditPageJsonSchema,
  PasswordVerdict: passwordVerdictJsonSchema,
  SupportView: supportViewJsonSchema,
  VerificationStarted: verificationStartedJsonSchema,
  VerificationChecked: verificationCheckedJsonSchema,
  Error: errorJsonSchema,
} as const;
