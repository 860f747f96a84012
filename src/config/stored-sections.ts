import type { z } from 'zod';
import { deliverySchema, methodCodesSchema, remindersSchema, resetSchema, sessionsSchema, setupSchema, signInSchema, throttlingSchema, writebackSchema } from './schema.js';
import { syncSchema } from './sync-schema.js';

/**
 * The sections of the configuration an administrator may change while the portal runs
 * (src/settings/ stores and versions them: delivery, throttling, the sign-in lockout, sessions,
 * the setup link, the codes (the code settings of the file's `methods`; the rest of it seeds the
 * SSPR policy), the reset's numbers, reminders, sync, writeback). sspr.yaml and SSPR_* give their starting values;
 * a value set by an SSPR_* variable, or named in `fixedSettings`, is fixed: the console shows
 * it and nobody can change it there. Each section is validated whole by the same schema as the file.
 */
export const STORED_SECTIONS = {
  delivery: deliverySchema,
  throttling: throttlingSchema,
  signIn: signInSchema,
  sessions: sessionsSchema,
  setup: setupSchema,
  methods: methodCodesSchema,
  reset: resetSchema,
  reminders: remindersSchema,
  sync: syncSchema,
  writeback: writebackSchema,
} as const;

export type StoredSection = keyof typeof STORED_SECTIONS;
export const storedSectionNames = Object.keys(STORED_SECTIONS) as StoredSection[];
export const isStoredSection = (name: string): name is StoredSection => Object.hasOwn(STORED_SECTIONS, name);

export type AnySchema = z.core.$ZodType;
interface SchemaDef {
  type: string;
  innerType?: AnySchema;
  in?: AnySchema;
  shape?: Record<string, AnySchema>;
}

/** The schema under defaults, optionals and transforms: what the value is checked against. */
export function unwrap(schema: AnySchema): AnySchema {
  for (let s = schema; ; ) {
    const def = s._zod.def as SchemaDef;
    if (['default', 'prefault', 'optional', 'nullable'].includes(def.type) && def.innerType) s = def.innerType;
    else if (def.type === 'pipe' && def.in) s = def.in;
    else return s;
  }
}

export function shapeOf(schema: AnySchema | null): Record<string, AnySchema> | null {
  if (!schema) return null;
  const def = unwrap(schema)._zod.def as SchemaDef;
  return def.type === 'object' && def.shape ? def.shape : null;
}

/** Whether `path` (dotted) names a section, an object in one, or one of its settings: `delivery.smtp.host`. */
export function isStoredPath(path: string): boolean {
  const [section, ...rest] = path.split('.');
  if (!section || !isStoredSection(section)) return false;
  let node: AnySchema | null = STORED_SECTIONS[section];
  for (const key of rest) {
    const shape = shapeOf(node);
    node = shape && Object.hasOwn(shape, key) ? shape[key]! : null;
    if (!node) return false;
  }
  return true;
}

/** A section's values in the file: only what the stored section holds (the file's `methods` has more). */
export function fileSection(config: Record<StoredSection, unknown>, section: StoredSection): Record<string, unknown> {
  const all = config[section] as Record<string, unknown>;
  const keys = Object.keys(shapeOf(STORED_SECTIONS[section]) ?? {});
  return Object.fromEntries(Object.entries(all).filter(([k]) => keys.includes(k)));
}

/** Whether a setting is fixed by the file or the environment: it, or an object above it, is listed. */
export function isFixed(fixed: readonly string[], path: string): boolean {
  return fixed.some((f) => path === f || path.startsWith(`${f}.`));
}
