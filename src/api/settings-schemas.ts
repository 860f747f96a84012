import { z } from 'zod';
import { STORED_SECTIONS, storedSectionNames, type StoredSection } from '../config/stored-sections.js';
import type { SettingsService, SettingsVersion } from '../settings/settings-service.js';

/** Bodies and answers of /api/v1/settings (src/api/settings-routes.ts), described in the OpenAPI document. */

export const settingsChangeBody = z.strictObject({
  /** PUT: the whole section (left out = its default; a secret left out is kept). PATCH: an RFC 7396 merge patch. */
  settings: z.record(z.string(), z.unknown()),
  expectedVersion: z.number().int().min(0).optional(),
  comment: z.string().max(500).optional(),
});

export const settingsVersionJsonSchema = z.object({
  section: z.enum(storedSectionNames),
  version: z.number().int().describe('0: nothing saved yet, the values of sspr.yaml and SSPR_*'),
  changedAt: z.iso.datetime().nullable(),
  changedBy: z.string().nullable(),
  comment: z.string().nullable(),
  settings: z.record(z.string(), z.unknown()).describe('The section as sspr.yaml writes it; each secret that is set appears as { "set": true }, never its value'),
  fixed: z.array(z.string()).describe('Settings fixed by sspr.yaml (fixedSettings) or an SSPR_* variable: sent only unchanged'),
});
export const settingsVersionListJsonSchema = z.object({ items: z.array(settingsVersionJsonSchema) });
export const settingsIndexJsonSchema = z.object({ items: z.array(settingsVersionJsonSchema.pick({ section: true, version: true, changedAt: true, changedBy: true })) });

export type SettingsVersionJson = z.output<typeof settingsVersionJsonSchema>;

export function settingsVersionJson(settings: Pick<SettingsService, 'view' | 'fixedPaths'>, v: SettingsVersion): SettingsVersionJson {
  return {
    section: v.section,
    version: v.version,
    changedAt: v.changedAt === null ? null : new Date(v.changedAt).toISOString(),
    changedBy: v.changedBy,
    comment: v.comment,
    settings: settings.view(v),
    fixed: settings.fixedPaths(v.section),
  };
}

const sectionSchemaNames = { delivery: 'DeliverySettings', throttling: 'ThrottlingSettings', signIn: 'SignInSettings', sessions: 'SessionSettings', setup: 'SetupLinkSettings', methods: 'CodeSettings', reset: 'ResetSettings', reminders: 'ReminderSettings', sync: 'SyncSettings', writeback: 'WritebackSettings' } as const satisfies Record<StoredSection, string>;

export const settingsRequestSchemas = { SettingsChangeRequest: settingsChangeBody, ...Object.fromEntries(storedSectionNames.map((s) => [sectionSchemaNames[s], STORED_SECTIONS[s]])) };
export const settingsResponseSchemas = { SettingsVersion: settingsVersionJsonSchema, SettingsVersionList: settingsVersionListJsonSchema, SettingsIndex: settingsIndexJsonSchema };
