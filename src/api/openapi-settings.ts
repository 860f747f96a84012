import { storedSectionNames } from '../config/stored-sections.js';
import { json, op, pick, readOp, ref, writeOp, type Json } from './openapi-parts.js';

const section = { name: 'section', in: 'path', required: true, description: `One of: ${storedSectionNames.join(', ')}.`, schema: { type: 'string', enum: storedSectionNames } };
const ifMatch = { name: 'If-Match', in: 'header', required: false, description: 'The version the change is based on, as the ETag of GET /settings/{section} gives it ("3"), or *. At another version now: nothing is saved, 412.', schema: { type: 'string' } };
const etag = { ETag: { description: 'The section\'s version in double quotes; send it back in If-Match.', schema: { type: 'string' } } };

/** /settings: the stored settings, one section at a time (src/api/settings-routes.ts). */
export function settingsPaths(): Record<string, Json> {
  const change = (full: boolean) =>
    op(writeOp([404, 409, 412, 422]), {
      summary: full ? 'Replace a settings section' : 'Change part of a settings section',
      description: [
        full ? 'The body carries the whole section in `settings`; a setting left out takes its default.' : '`settings` is a JSON merge patch (RFC 7396): objects merged key by key, null removes a key.',
        'A secret (SMTP password, Twilio auth token, webhook token) is kept when left out or sent as { "set": true }, replaced by a new text, removed by null; it is never returned.',
        'Settings fixed by the server\'s configuration may be sent only unchanged (422 otherwise). Audited as settings_changed with the paths that changed.',
      ].join(' '),
      operationId: full ? 'replaceSettings' : 'patchSettings',
      tags: ['settings'],
      parameters: [section, ifMatch],
      requestBody: { required: true, ...json(ref('SettingsChangeRequest')) },
      responses: { 200: { description: 'Saved (or already so); the section in force.', headers: etag, ...json(ref('SettingsVersion')) } },
    });
  return {
    '/settings': {
      get: op(readOp(), {
        summary: 'Every settings section with its version',
        operationId: 'listSettings',
        tags: ['settings'],
        responses: { 200: { description: 'The sections.', ...json(ref('SettingsIndex')) } },
      }),
    },
    '/settings/{section}': {
      get: op(readOp([404]), {
        summary: 'One settings section as it is in force',
        operationId: 'getSettings',
        tags: ['settings'],
        parameters: [section],
        responses: { 200: { description: 'The section; secrets appear as { "set": true }.', headers: etag, ...json(ref('SettingsVersion')) } },
      }),
      put: change(true),
      patch: change(false),
    },
    '/settings/{section}/versions': {
      get: op({ scope: 'read', errors: pick(400, 401, 404) }, {
        summary: 'The saved versions of a section, newest first',
        operationId: 'listSettingsVersions',
        tags: ['settings'],
        parameters: [section, { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 500, default: 50 } }],
        responses: { 200: { description: 'The versions.', ...json(ref('SettingsVersionList')) } },
      }),
    },
  };
}
