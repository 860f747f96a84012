import { z } from 'zod';

/** The comparison key for usernames and group names: Unicode-normalised, trimmed, lower-case. */
export function nameKey(name: string): string {
  return name.normalize('NFKC').trim().toLowerCase();
}

export const roles = ['administrator', 'password_administrator', 'user'] as const;
export type Role = (typeof roles)[number];

// Messages are catalogue keys (src/i18n/en.ts): pages and the CLI translate them.
const noControl = /^[^\p{Cc}]*$/u;

export const usernameSchema = z
  .string({ error: 'v.username.required' })
  .trim()
  .min(1, 'v.username.required')
  .max(256, 'v.username.tooLong')
  .regex(/^[\p{L}\p{N}._@+'-]+$/u, 'v.username.chars')
  // Unicode normalisation can lengthen a name (U+FDFA becomes 18 characters): bound the stored key too.
  .refine((v) => nameKey(v).length <= 256, 'v.username.tooLong');

export const displayNameSchema = z
  .string({ error: 'v.displayName.required' })
  .trim()
  .min(1, 'v.displayName.required')
  .max(256, 'v.displayName.tooLong')
  .regex(noControl, 'v.noControlChars');

export const optionalEmailSchema = z
  .string({ error: 'v.email.invalid' })
  .trim()
  .max(320, 'v.email.tooLong')
  .transform((v) => (v === '' ? null : v))
  .pipe(z.email('v.email.invalid').nullable());

export const groupNameSchema = z
  .string({ error: 'v.groupName.required' })
  .trim()
  .min(1, 'v.groupName.required')
  .max(256, 'v.groupName.tooLong')
  .regex(noControl, 'v.noControlChars')
  .refine((v) => nameKey(v).length <= 256, 'v.groupName.tooLong');

export const descriptionSchema = z.string({ error: 'v.field.invalid' }).trim().max(1024, 'v.description.tooLong').regex(noControl, 'v.noControlChars');

export const roleSchema = z.enum(roles, { error: 'v.role.invalid' });
