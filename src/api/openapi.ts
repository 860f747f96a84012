import { requestSchemas, responseSchemas } from './schemas.js';
import { supportRequestSchemas, supportResponseSchemas } from './support-schemas.js';

/**
 * The OpenAPI 3.1 description of /api/v1, served at /api/v1/openapi.json. Paths and operations are
 * written out here; the schemas of bodies and answers are derived from the zod schemas the routes
 * use (src/api/schemas.ts). A test compares the routes the API registers with these paths, so a
 * route without documentation fails the build.
 */

import { componentSchemas, json, op, pick, readOp, ref, writeOp, type Json } from './openapi-parts.js';
import { brandPaths, settingsPaths } from './openapi-settings.js';
import { opsPaths } from './openapi-ops.js';
import { opsRequestSchemas, opsResponseSchemas } from './ops-schemas.js';
import { settingsRequestSchemas, settingsResponseSchemas } from './settings-schemas.js';
import { brandRequestSchemas, brandResponseSchemas } from './brand-schemas.js';

/** A support action: a write token, a reason in the body, the outcome (never a secret). */
function supportOp(o: { summary: string; description: string; operationId: string; parameters?: Json[]; requestBody?: Json }): Json {
  return op(
    { scope: 'write', errors: pick(400, 401, 403, 404, 413, 415, 422) },
    { parameters: [username], requestBody: { required: true, ...json(ref('SupportActionRequest')) }, ...o, tags: ['users'], responses: { 200: { description: 'Done.', ...json(ref('SupportActionResult')) } } },
  );
}

const username = { name: 'username', in: 'path', required: true, description: 'The username (any case).', schema: { type: 'string', maxLength: 256 } };
const groupName = { name: 'name', in: 'path', required: true, description: 'The group name (any case).', schema: { type: 'string', maxLength: 256 } };
const pageParams = [
  { name: 'page', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 1_000_000, default: 1 } },
  { name: 'pageSize', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 200 } },
];
const ifMatch = {
  name: 'If-Match',
  in: 'header',
  required: false,
  description: 'The version the change is based on, as the ETag of GET /policy gives it ("3"), or *. If the policy is at another version now, nothing is saved and the answer is 412.',
  schema: { type: 'string', examples: ['"3"'] },
};
const etag = { ETag: { description: 'The policy version, in double quotes; send it back in If-Match.', schema: { type: 'string' } } };

export function openApiDocument(publicUrl: string): Json {
  const policyChange = (full: boolean) =>
    op(writeOp([409, 412]), {
      summary: full ? 'Replace the whole policy' : 'Change part of the policy',
      description: [
        full ? 'The body carries the whole policy document.' : 'The body carries only what changes: objects are merged key by key, lists and values are replaced whole.',
        'The result is validated as a whole (for example two required methods need two kinds of method available) and groups must exist; every problem is named in `fields`.',
        'Optimistic concurrency: give the version the change is based on in `If-Match` (answer 412 Precondition Failed when the policy has moved on) or in `expectedVersion` (answer 409 Conflict). Without either, the change is applied to the current version.',
        'A change that changes nothing saves no version and answers with the current one.',
      ].join(' '),
      operationId: full ? 'replacePolicy' : 'patchPolicy',
      tags: ['policy'],
      parameters: [ifMatch],
      requestBody: { required: true, ...json(ref(full ? 'PutPolicyRequest' : 'PatchPolicyRequest')) },
      responses: { 200: { description: 'Saved (or unchanged): the policy now in force.', headers: etag, ...json(ref('PolicyVersion')) } },
    });

  return {
    openapi: '3.1.0',
    info: {
      title: 'OpenSSPR API',
      version: '1',
      description: [
        'Everything the admin console does with users, groups, the self-service password reset policy and the audit log, for scripts and other systems.',
        'Authenticate with an API token (created at /admin/api-tokens or with `sspr token create`) in `Authorization: Bearer <token>`. Cookies are ignored.',
        'A token has the scope `read` (GET only) or `write` (everything) on every area, or a level on each of the areas it was created for (policy, users, groups, audit, settings, agents, sync, reports, delivery): a token may hold `settings:write` and `audit:read` and reach nothing else. Each operation names the scope it needs in `x-sspr-scope` and its area in `x-sspr-area`; it needs `<area>:<scope>`, or write on its area for a read.',
        'Request bodies are JSON objects (`Content-Type: application/json`, at most 64 KiB); unknown keys are refused. Every error has the same shape, `{ "error": { "code", "message", "fields"? } }`. `message` and `fields` are in the language `Accept-Language` asks for (en, de, fr, es, nl, pt-BR, ja, ar), else English; `Content-Language` says which; `code` is the same in every language.',
        'Changes are recorded in the audit log with the actor `api:<token name>`.',
      ].join('\n\n'),
    },
    servers: [{ url: `${publicUrl.replace(/\/+$/, '')}/api/v1` }],
    security: [{ bearerAuth: [] }],
    tags: [
      { name: 'meta', description: 'This description' },
      { name: 'policy', description: 'The self-service password reset policy and its versions' },
      { name: 'users', description: 'Cloud directory users' },
      { name: 'groups', description: 'Groups (nested membership)' },
      { name: 'audit', description: 'The audit log' },
      { name: 'settings', description: 'Delivery, throttling, the sign-in lockout, resets, reminders, sync and writeback, as administrators set them' },
      { name: 'agents', description: 'The on-premises agents' },
      { name: 'sync', description: 'Sync from Active Directory' },
      { name: 'reports', description: 'Registration coverage and activity' },
      { name: 'delivery', description: 'The delivery log of emails, texts and calls' },
    ],
    paths: {
      '/openapi.json': {
        get: {
          summary: 'This document',
          operationId: 'openApi',
          tags: ['meta'],
          security: [],
          responses: { 200: { description: 'The OpenAPI 3.1 document.', content: { 'application/json': { schema: { type: 'object' } } } } },
        },
      },
      '/policy': {
        get: op(readOp(), {
          summary: 'The policy in force',
          operationId: 'getPolicy',
          tags: ['policy'],
          responses: { 200: { description: 'The current policy and its version.', headers: etag, ...json(ref('PolicyVersion')) } },
        }),
        put: policyChange(true),
        patch: policyChange(false),
      },
      '/policy/versions': {
        get: op(readOp([400]), {
          summary: 'Saved versions of the policy, newest first',
          operationId: 'listPolicyVersions',
          tags: ['policy'],
          parameters: [{ name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 500, default: 50 } }],
          responses: { 200: { description: 'The versions.', ...json(ref('PolicyVersionList')) } },
        }),
      },
      '/policy/versions/{n}': {
        get: op(readOp([400, 404]), {
          summary: 'One version of the policy',
          operationId: 'getPolicyVersion',
          tags: ['policy'],
          parameters: [{ name: 'n', in: 'path', required: true, description: 'The version number; 0 is the initial policy from the configuration.', schema: { type: 'integer', minimum: 0 } }],
          responses: { 200: { description: 'The version.', ...json(ref('PolicyVersion')) } },
        }),
      },
      '/users': {
        get: op(readOp([400]), {
          summary: 'Users, searched and paged',
          operationId: 'listUsers',
          tags: ['users'],
          parameters: [{ name: 'q', in: 'query', required: false, description: 'Part of the username, display name or email address.', schema: { type: 'string', maxLength: 256 } }, ...pageParams],
          responses: { 200: { description: 'One page of users, ordered by username.', ...json(ref('UserPage')) } },
        }),
        post: op(writeOp([409]), {
          summary: 'Create a cloud user',
          operationId: 'createUser',
          tags: ['users'],
          requestBody: { required: true, ...json(ref('NewUser')) },
          responses: {
            201: { description: 'Created.', headers: { Location: { description: 'The new user\'s address in this API.', schema: { type: 'string' } } }, ...json(ref('User')) },
          },
        }),
      },
      '/users/{username}': {
        get: op(readOp([404]), {
          summary: 'One user, with the groups they belong to',
          operationId: 'getUser',
          tags: ['users'],
          parameters: [username],
          responses: { 200: { description: 'The user.', ...json(ref('UserDetail')) } },
        }),
        patch: op(writeOp([404, 422]), {
          summary: "Change a user's display name, email or roles",
          description: 'Only the fields given change, and nothing changes when one is refused: a user from Active Directory takes the name and email from there (422), the last enabled administrator keeps the role (422). Each change is audited (profile_changed with the fields, roles_changed with from and to).',
          operationId: 'updateUser',
          tags: ['users'],
          parameters: [username],
          requestBody: { required: true, ...json(ref('UpdateUser')) },
          responses: { 200: { description: 'The user as it is now.', ...json(ref('User')) } },
        }),
      },
      '/users/{username}/support': {
        get: op(readOp([404]), {
          summary: "One user's support view",
          description:
            'What the support page shows: registered methods (masked: a•••@example.com, +49 •••• ••78, names of passkeys and apps, questions registered, recovery codes left), the self-service block and its counters, the sign-in lockout, active sessions (never a token), for hybrid users the AD account read live through the on-premises agent (ad.ok false, with a message, when no agent answered within a few seconds), and the last 20 audit events about the user.',
          operationId: 'getUserSupport',
          tags: ['users'],
          parameters: [username],
          responses: { 200: { description: 'The support view.', ...json(ref('SupportView')) } },
        }),
      },
      '/users/{username}/disable': {
        post: op({ scope: 'write', errors: pick(401, 403, 404, 422) }, {
          summary: 'Disable a user',
          description: 'The user cannot sign in or reset a password any more; their sessions end at once. The last enabled administrator cannot be disabled (422). No body is needed.',
          operationId: 'disableUser',
          tags: ['users'],
          parameters: [username],
          responses: { 200: { description: 'Disabled.', ...json(ref('User')) } },
        }),
      },
      '/users/{username}/enable': {
        post: op({ scope: 'write', errors: pick(401, 403, 404, 422) }, {
          summary: 'Enable a user',
          description: 'No body is needed.',
          operationId: 'enableUser',
          tags: ['users'],
          parameters: [username],
          responses: { 200: { description: 'Enabled.', ...json(ref('User')) } },
        }),
      },
      '/users/{username}/self-service/unblock': {
        post: op({ scope: 'write', errors: pick(401, 403, 404, 409) }, {
          summary: 'Turn self-service back on for a user who reported "this wasn\'t me"',
          description: 'Lifts the block a report through a notice\'s "this wasn\'t me" link set (see selfServiceBlock on the user). Check the account with the user first. 409 when self-service is not turned off. No body is needed.',
          operationId: 'unblockSelfService',
          tags: ['users'],
          parameters: [username],
          responses: { 200: { description: 'Self-service is on again.', ...json(ref('User')) } },
        }),
      },
      '/users/{username}/verification': {
        post: op(writeOp([404, 422]), {
          summary: 'Verify a caller: send a code to one of their registered methods',
          description:
            'Sends a code to one of the user’s own registered email addresses or phones (or, for an authenticator app, asks for its current code; for a passkey, sends a link to the user’s registered email where the caller confirms with it in their own browser), for the caller to read out. Sends count on the user’s send limits, as in self-service. 422 when the method cannot be used, sending is limited or the user is blocked.',
          operationId: 'startCallerVerification',
          tags: ['users'],
          parameters: [username],
          requestBody: { required: true, ...json(ref('VerificationStartRequest')) },
          responses: { 200: { description: 'The code is on its way (or the app’s code is asked for).', ...json(ref('VerificationStarted')) } },
        }),
      },
      '/users/{username}/verification/{id}/check': {
        post: op(writeOp([404, 422]), {
          summary: 'Verify a caller: check the code they read out',
          description:
            'verified is true when the code is right (for a passkey, once the caller has confirmed; send any code); the verification then counts for 10 minutes, for this token. A wrong code answers 200 with verified false and counts towards the user’s self-service block, as in self-service. 404 for an unknown or expired attempt.',
          operationId: 'checkCallerVerification',
          tags: ['users'],
          parameters: [username, { name: 'id', in: 'path', required: true, description: 'The attempt, from POST /users/{username}/verification.', schema: { type: 'string', maxLength: 64 } }],
          requestBody: { required: true, ...json(ref('VerificationCheckRequest')) },
          responses: { 200: { description: 'Verified or not.', ...json(ref('VerificationChecked')) } },
        }),
      },
      '/users/{username}/reset-password': {
        post: op({ scope: 'write', errors: pick(400, 401, 403, 404, 413, 415, 422) }, {
          summary: 'Set a user\'s password (an administrator\'s reset)',
          description:
            'A cloud user\'s password is set in the portal; a hybrid user\'s is written back to AD through the agent, under AD\'s password policy, and with mustChange true must be changed at the next sign-in. Either password or generate: true (the answer then carries the generated password, once). The user\'s sessions end. Refused (422, in words; nothing changed) when the policy\'s helpdesk.temporaryPasswords is off, for mustChange on a cloud user, or when no agent can do it now. Audited as password_set_by_admin.',
          operationId: 'resetPassword',
          tags: ['users'],
          parameters: [username],
          requestBody: { required: true, ...json(ref('ResetPasswordRequest')) },
          responses: { 200: { description: 'Set: the user, and the password when it was generated.', ...json(ref('PasswordReset')) } },
        }),
      },
      '/users/{username}/require-change': {
        post: op({ scope: 'write', errors: pick(400, 401, 403, 404, 413, 415, 422) }, {
          summary: 'Require a hybrid user to change their password at the next sign-in',
          description:
            'Sets (or, with mustChange false, clears) AD\'s "must change password at next logon" through the agent (pwdLastSet 0). Hybrid users only: a cloud user is refused (422), as is the request when no agent can do it now (the message says why; nothing changed). Audited as must_change_set_by_admin or must_change_cleared_by_admin.',
          operationId: 'requireChange',
          tags: ['users'],
          parameters: [username],
          requestBody: { required: true, ...json(ref('RequireChangeRequest')) },
          responses: { 200: { description: 'Done: the user as they are now.', ...json(ref('User')) } },
        }),
      },
      '/users/{username}/unblock': {
        post: supportOp({
          summary: 'Unblock self-service for a user (the support desk)',
          description: 'Clears the wrong-answer and sent-code counters and lifts a "this wasn\'t me" block. Audited with the reason; the user is told by email.',
          operationId: 'supportUnblock',
        }),
      },
      '/users/{username}/clear-lockout': {
        post: supportOp({
          summary: 'Clear the user\'s sign-in lockout (the support desk)',
          description: 'Forgets the failed sign-ins of the username, so the user can sign in again at once. Audited with the reason; the user is told by email.',
          operationId: 'supportClearLockout',
        }),
      },
      '/users/{username}/unlock': {
        post: supportOp({
          summary: 'Unlock a hybrid user\'s account in Active Directory',
          description:
            'Clears the AD lockout through the agent (hybrid users only; a cloud user is refused). While the policy asks for a verified caller (helpdesk.requireVerification) a token is refused: it has no caller to verify. Audited with the reason; the user is told by email.',
          operationId: 'supportUnlockAd',
        }),
      },
      '/users/{username}/require-registration': {
        post: supportOp({
          summary: 'Require the user to register their methods again',
          description: 'At the user\'s next sign-in (after the password) every method, the security answers and the recovery codes are removed, and the user registers again before anything else. Open resets of the user end now. Audited; the user is told by email.',
          operationId: 'supportRequireRegistration',
        }),
      },
      '/users/{username}/methods/{id}': {
        delete: supportOp({
          summary: 'Remove one registered method (a lost phone)',
          description: 'The method by its id (`questions` for the security answers); a recovery-code set takes its codes with it. It cannot be used any more; open resets of the user end. The body carries the reason. Audited; the user is told by email.',
          operationId: 'supportRemoveMethod',
          parameters: [username, { name: 'id', in: 'path', required: true, description: 'The method\'s id, or `questions`.', schema: { type: 'string', maxLength: 64 } }],
        }),
      },
      '/users/{username}/sessions': {
        delete: supportOp({
          summary: 'End every session of the user',
          description: 'Signs the user out everywhere and ends their open resets. The body carries the reason. Audited; the user is told by email.',
          operationId: 'supportEndSessions',
        }),
      },
      '/users/{username}/reset-link': {
        post: supportOp({
          summary: 'Send the user a one-time reset link',
          description:
            'A link valid for one hour, working once, to one of the user\'s registered email addresses or mobile numbers (by method id). The user opens it and chooses the new password; the answer never holds the link, the address or a password. A new link replaces the previous unused one. While the policy\'s `helpdesk.requireVerification` is on this is refused (422): a token has no caller to verify; an administrator may turn the setting off.',
          operationId: 'supportSendResetLink',
          requestBody: { required: true, ...json(ref('ResetLinkRequest')) },
        }),
      },
      '/passwords/check': {
        post: op({ scope: 'read', errors: pick(400, 401, 404, 413, 415) }, {
          summary: 'Test a password against the password rules in force',
          description:
            'Every rule is applied (lengths, banned words, the names rule, common passwords, strength, breached passwords), never the history; nothing is stored. The rules themselves are the `passwords` section of the policy (GET, PUT and PATCH /policy).',
          operationId: 'checkPassword',
          tags: ['policy'],
          requestBody: { required: true, ...json(ref('PasswordCheckRequest')) },
          responses: { 200: { description: 'The verdict, accepted or not, with every reason.', ...json(ref('PasswordVerdict')) } },
        }),
      },
      '/groups': {
        get: op(readOp(), {
          summary: 'Every group with its number of direct members',
          operationId: 'listGroups',
          tags: ['groups'],
          responses: { 200: { description: 'The groups, ordered by name.', ...json(ref('GroupList')) } },
        }),
        post: op(writeOp([409]), {
          summary: 'Create a cloud group',
          operationId: 'createGroup',
          tags: ['groups'],
          requestBody: { required: true, ...json(ref('NewGroup')) },
          responses: {
            201: { description: 'Created.', headers: { Location: { description: "The new group's address in this API.", schema: { type: 'string' } } }, ...json(ref('GroupDetail')) },
          },
        }),
      },
      '/groups/{name}': {
        get: op(readOp([404]), {
          summary: 'One group, with its direct members',
          operationId: 'getGroup',
          tags: ['groups'],
          parameters: [groupName],
          responses: { 200: { description: 'The group.', ...json(ref('GroupDetail')) } },
        }),
        patch: op(writeOp([404, 409, 422]), {
          summary: 'Rename a cloud group',
          description: 'Groups synced from Active Directory are renamed in AD (422). Another group with the name: 409. Policy and helpdesk scopes follow the group, not its name.',
          operationId: 'renameGroup',
          tags: ['groups'],
          parameters: [groupName],
          requestBody: { required: true, ...json(ref('RenameGroup')) },
          responses: { 200: { description: 'Renamed.', ...json(ref('GroupDetail')) } },
        }),
        delete: op({ scope: 'write', errors: pick(401, 403, 404, 422) }, {
          summary: 'Delete a cloud group',
          description: "Its memberships go with it (its members stay, they are only no longer in it). Refused (422) while the self-service policy's scope names the group, and for groups synced from Active Directory. A helpdesk scope that named it then covers nobody for that entry, never everyone.",
          operationId: 'deleteGroup',
          tags: ['groups'],
          parameters: [groupName],
          responses: { 204: { description: 'Deleted.' } },
        }),
      },
      '/groups/{name}/members': {
        post: op(writeOp([404, 409, 422]), {
          summary: 'Add a user or a nested group',
          description: 'Already a direct member: 409. A group cannot be its own member (422); deeper cycles are allowed and resolved safely.',
          operationId: 'addGroupMember',
          tags: ['groups'],
          parameters: [groupName],
          requestBody: { required: true, ...json(ref('GroupMember')) },
          responses: { 200: { description: 'Added; the group with its members.', ...json(ref('GroupDetail')) } },
        }),
      },
      '/groups/{name}/members/{type}/{member}': {
        delete: op({ scope: 'write', errors: pick(401, 403, 404) }, {
          summary: 'Remove a direct member',
          operationId: 'removeGroupMember',
          tags: ['groups'],
          parameters: [
            groupName,
            { name: 'type', in: 'path', required: true, schema: { type: 'string', enum: ['user', 'group'] } },
            { name: 'member', in: 'path', required: true, description: 'The username or the nested group\'s name.', schema: { type: 'string', maxLength: 256 } },
          ],
          responses: { 200: { description: 'Removed; the group with its members.', ...json(ref('GroupDetail')) } },
        }),
      },
      ...settingsPaths(),
      ...brandPaths(),
      ...opsPaths(),
      '/audit': {
        get: op(readOp([400]), {
          summary: 'Audit events, newest first',
          operationId: 'listAuditEvents',
          tags: ['audit'],
          parameters: [
            { name: 'event', in: 'query', required: false, description: 'Event name, e.g. user_created, policy_changed, api_token_revoked.', schema: { type: 'string', pattern: '^[a-z_]{1,64}$' } },
            { name: 'outcome', in: 'query', required: false, schema: { type: 'string', enum: ['success', 'failure', 'blocked', 'info'] } },
            { name: 'user', in: 'query', required: false, description: 'Actor or target name, exactly (e.g. alice, or api:nightly-sync).', schema: { type: 'string', maxLength: 256 } },
            { name: 'from', in: 'query', required: false, description: 'First day (UTC), inclusive.', schema: { type: 'string', format: 'date' } },
            { name: 'to', in: 'query', required: false, description: 'Last day (UTC), inclusive.', schema: { type: 'string', format: 'date' } },
            { name: 'attention', in: 'query', required: false, description: 'true: only the events flagged for an administrator\'s attention (a user\'s "this wasn\'t me").', schema: { type: 'string', enum: ['true', 'false'] } },
            ...pageParams,
          ],
          responses: { 200: { description: 'One page of events (50 by default).', ...json(ref('AuditPage')) } },
        }),
      },
    },
    components: {
      securitySchemes: {
        bearerAuth: {
          type: 'http',
          scheme: 'bearer',
          description: 'An API token (`sspr_…`). Only its SHA-256 is stored; it is shown once when created. Tokens can expire and be revoked.',
        },
      },
      responses: {
        InvalidInput: { description: 'The body or a parameter is not valid (not JSON, not an object, wrong types, unknown keys, values out of range). `fields` names each problem.', ...json(ref('Error')) },
        Unauthorized: {
          description: 'No token, or the token is unknown, expired or revoked.',
          headers: { 'WWW-Authenticate': { description: 'Bearer realm="OpenSSPR API" (with error="invalid_token" when a token was sent).', schema: { type: 'string' } } },
          ...json(ref('Error')),
        },
        Forbidden: { description: 'The token has the read scope; this operation needs write.', ...json(ref('Error')) },
        NotFound: { description: 'No such user or version.', ...json(ref('Error')) },
        Conflict: { description: 'A user with this username exists, or (policy) the policy is no longer at `expectedVersion`. Nothing was changed.', ...json(ref('Error')) },
        PreconditionFailed: { description: 'The policy is no longer at the version given in If-Match. Nothing was changed.', ...json(ref('Error')) },
        TooLarge: { description: 'The body is larger than 64 KiB, or 768 KiB for /policy (code too_large).', ...json(ref('Error')) },
        UnsupportedMediaType: { description: 'The body is not sent as application/json.', ...json(ref('Error')) },
        Refused: { description: 'Refused by a rule, e.g. the last enabled administrator cannot be disabled.', ...json(ref('Error')) },
      },
      schemas: { ...componentSchemas({ ...responseSchemas, ...supportResponseSchemas, ...settingsResponseSchemas, ...brandResponseSchemas, ...opsResponseSchemas }, 'output'), ...componentSchemas({ ...requestSchemas, ...supportRequestSchemas, ...settingsRequestSchemas, ...brandRequestSchemas, ...opsRequestSchemas }, 'input') },
    },
  };
}
