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

/** /brand: the organisation's brand, in the settings area (src/api/brand-routes.ts). */
export function brandPaths(): Record<string, Json> {
  const brandEtag = { ETag: { description: 'The brand\'s version in double quotes; send it back in If-Match.', schema: { type: 'string' } } };
  const brandIfMatch = { ...ifMatch, description: 'The version the change is based on, as the ETag of GET /brand gives it ("3"), or *. At another version now: nothing is saved, 412.' };
  const change = (full: boolean) =>
    op(writeOp([409, 412]), {
      summary: full ? 'Replace the brand' : 'Change some fields of the brand',
      description: [
        full ? '`brand` carries every field; a field left out is empty (organisationName and both colours are needed).' : 'Only the fields in `brand` change; the others stay as saved.',
        'The same checks as the console: each colour keeps a contrast of at least 4.5:1 with the text on and under it (a refused colour is answered with its ratio and a colour that passes), at most 5 footer links, each https.',
        '`logo`: left out keeps the logo, null removes it, { "data": base64 } uploads a new one (PNG, JPEG, WebP or SVG by its real content; at most 256 KiB and 1024 × 1024; an SVG with scripts, event handlers or external references is refused). Audited as brand_changed with the fields that changed.',
      ].join(' '),
      operationId: full ? 'replaceBrand' : 'patchBrand',
      tags: ['settings'],
      parameters: [brandIfMatch],
      requestBody: { required: true, ...json(ref('BrandChangeRequest')) },
      responses: { 200: { description: 'Saved (or already so); the brand in force.', headers: brandEtag, ...json(ref('Brand')) } },
    });
  return {
    '/brand': {
      get: op(readOp(), {
        summary: 'The brand in force, with its version',
        operationId: 'getBrand',
        tags: ['settings'],
        responses: { 200: { description: 'The brand.', headers: brandEtag, ...json(ref('Brand')) } },
      }),
      put: change(true),
      patch: change(false),
    },
    '/brand/versions': {
      get: op({ scope: 'read', errors: pick(400, 401) }, {
        summary: 'The saved versions of the brand, newest first',
        operationId: 'listBrandVersions',
        tags: ['settings'],
        parameters: [{ name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 500, default: 50 } }],
        responses: { 200: { description: 'The versions.', ...json(ref('BrandVersionList')) } },
      }),
    },
  };
}
