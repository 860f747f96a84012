import { generatePassword } from '../shared/crypto.js';
import { Hono, type Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { z } from 'zod';
import type { AuditQueries } from '../audit/audit-query.js';
import type { DirectoryService, Outcome } from '../directory/directory-service.js';
import type { GroupStore } from '../directory/groups.js';
import type { UserStore } from '../directory/users.js';
import type { Logger } from '../logging/logger.js';
import type { PolicyService } from '../policy/policy-service.js';
import type { ApiTokenService } from './tokens.js';
import type { NotMeService } from '../not-me/not-me-service.js';
import type { Vars } from '../i18n/index.js';
import type { SupportReader } from '../support/support-reader.js';
import { ADMIN_VIEWER } from '../support/access.js';
import { supportViewJson } from './support-json.js';
import { bearerAuth, requireArea, requireWrite, type ApiEnv } from './auth.js';
import { apiError, etag, inApiLanguage, expectedVersionOf, fieldTexts, issueFields, t, text, versionConflict, type ApiErrorCode } from './errors.js';
import { openApiDocument } from './openapi.js';
import { verificationCheckBody, verificationStartBody } from './verification-schemas.js';
import type { CallerVerificationService, Verifier } from '../support/verification.js';
import type { HybridAccountActions } from '../writeback/admin-actions.js';
import { supportActionApi, type SupportActionApiDeps } from './support-action-routes.js';
import { groupApi } from './group-routes.js';
import { settingsApi, type SettingsApiDeps } from './settings-routes.js';
import { brandApi, type BrandApiDeps } from './brand-routes.js';
import { opsApi, type OpsApiDeps } from './ops-routes.js';
import {
  auditEventJson,
  auditQuery,
  createUserBody,
  updateUserBody,
  groupJson,
  passwordCheckBody,
  patchPolicyBody,
  policyVersionJson,
  putPolicyBody,
  requireChangeBody,
  resetPasswordBody,
  userJson,
  usersQuery,
  versionParam,
  versionsQuery,
} from './schemas.js';

export interface ApiRouteDeps {
  policy: Pick<PolicyService, 'current' | 'refresh' | 'history' | 'version' | 'update'>;
  users: Pick<UserStore, 'list' | 'byUsername'>;
  /** One user as the support desk sees them (masked contacts, counters, sessions, AD state, events). */
  support: Pick<SupportReader, 'view'>;
  groups: Pick<GroupStore, 'list' | 'groupsOfUser' | 'byName' | 'byId' | 'directMembers'>;
  directory: Pick<DirectoryService, 'createUser' | 'setEnabled' | 'setRoles' | 'updateProfile' | 'testPassword' | 'createGroup' | 'renameGroup' | 'deleteGroup' | 'addMember' | 'removeMember'>;
  /** Bearer tokens: the API authenticates every request after /openapi.json with one. */
  apiTokens: Pick<ApiTokenService, 'authenticate'>;
  audit: Pick<AuditQueries, 'query'>;
  /** The self-service block a user's "this wasn't me" set: shown with the user, lifted by an administrator. */
  notMe: Pick<NotMeService, 'block' | 'lift'>;
  /** The helpdesk's check of who is calling (as an administrator: a token sees every user). */
  verifications: Pick<CallerVerificationService, 'start' | 'check'>;
  /** The length rules in force, which the messages name (read at each request: they are edited in the policy). */
  passwords: { readonly minLength: number; readonly maxLength: number };
  publicUrl: string;
  /** The organisation's time zone (`branding.timeZone`): dates inside a message. */
  timeZone: string;
  /** Proxies whose X-Forwarded-For names the client (for the actor's address). */
  trustedProxies: readonly string[];
  logger: Pick<Logger, 'error'>;
  /** The support desk's actions (unblock, remove a method, send a reset link, …). */
  supportActions: SupportActionApiDeps;
  /** The stored settings (delivery, throttling, reminders, sync, writeback). */
  settings: SettingsApiDeps['settings'] & OpsApiDeps['settings'];
  /** The organisation's brand (area settings). */
  brand: BrandApiDeps['brand'];
  /** Agents, sync, reports and the delivery log. */
  ops: Omit<OpsApiDeps, 'settings'>;
  /** A hybrid user's must-change in AD, through the agent (the console's action; audited there). */
  hybridAccounts: Pick<HybridAccountActions, 'requireChange' | 'resetPassword'>;
}

type Ctx = Context<ApiEnv>;

/** A token acts as an administrator; its verifications are its own (the actor's name, `api:<token>`). */
const verifierOf = (c: Ctx): Verifier => ({ ...c.get('actor'), roles: ADMIN_VIEWER.roles });
type Step<T> = { ok: true; value: T } | { ok: false; res: Response };

/**
 * The body as a JSON object, or the answer to send instead: 415 for another content type, 400
 * for text that is not JSON or JSON that is not an object. The size limit (64 KiB) is applied
 * by the app before the API sees the request.
 */
async function jsonObject(c: Ctx): Promise<Step<Record<string, unknown>>> {
  const type = c.req.header('content-type') ?? '';
  if (!/^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i.test(type)) return { ok: false, res: apiError(c, 'unsupported_media_type', t('api.error.unsupportedMediaType')) };
  let value: unknown;
  try {
    value = JSON.parse(await c.req.text());
  } catch {
    return { ok: false, res: apiError(c, 'invalid_json', t('api.error.invalidJson')) };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, res: apiError(c, 'invalid_input', t('api.error.notObject')) };
  return { ok: true, value: value as Record<string, unknown> };
}

function validate<S extends z.ZodType>(c: Ctx, schema: S, input: unknown, vars?: Vars): Step<z.output<S>> {
  const r = schema.safeParse(input);
  if (r.success) return { ok: true, value: r.data };
  return { ok: false, res: apiError(c, 'invalid_input', t('api.error.invalidInput'), issueFields(r.error.issues, input, vars)) };
}

/**
 * The query string, each parameter at most once, checked against a strict schema (unknown
 * parameters are errors). An empty value (`?event=&page=2`) counts as absent, as a form would mean it.
 */
function query<S extends z.ZodType>(c: Ctx, schema: S): Step<z.output<S>> {
  const all = c.req.queries();
  const repeated = Object.keys(all).filter((k) => all[k]!.length > 1);
  if (repeated.length) return { ok: false, res: apiError(c, 'invalid_input', t('api.error.invalidInput'), Object.fromEntries(repeated.map((k) => [k, t('api.v.repeated')]))) };
  return validate(c, schema, Object.fromEntries(Object.entries(all).flatMap(([k, v]) => (v[0] === '' ? [] : [[k, v[0]]]))));
}

const refusalCode: Record<'not_found' | 'conflict' | 'refused', ApiErrorCode> = { not_found: 'not_found', conflict: 'conflict', refused: 'refused' };

/** A refused service outcome as the API's error. */
function refusal(c: Ctx, outcome: Exclude<Outcome<unknown>, { ok: true }>, vars?: Vars, prefix = ''): Response {
  if (outcome.reason === 'invalid') return apiError(c, 'invalid_input', t('api.error.invalidInput'), fieldTexts(outcome.errors, vars, prefix));
  const fallback = outcome.reason === 'not_found' ? 'api.error.notFound' : outcome.reason === 'conflict' ? 'api.error.conflict' : 'api.error.refused';
  return apiError(c, refusalCode[outcome.reason], text(outcome.message, fallback, vars));
}


/** The JSON API under /api/v1 (bearer-token auth, no cookies, no CSRF). */
export function apiRoutes(deps: ApiRouteDeps): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  const passwordVars = () => ({ min: deps.passwords.minLength, max: deps.passwords.maxLength });
  let document: string | undefined;

  app.use('*', inApiLanguage(deps.timeZone));
  // The description is public (it holds no data); everything after the middleware needs a token.
  app.get('/openapi.json', (c) => {
    document ??= JSON.stringify(openApiDocument(deps.publicUrl));
    return c.body(document, 200, { 'Content-Type': 'application/json; charset=utf-8' });
  });

  app.use('*', bearerAuth(deps.apiTokens, deps.trustedProxies));
  app.use('*', requireArea);

  // ---- policy ----
  app.get('/policy', async (c) => {
    const v = await deps.policy.refresh();
    return c.json(policyVersionJson(v), 200, etag(v.version));
  });

  const changePolicy = (schema: typeof putPolicyBody | typeof patchPolicyBody) => async (c: Ctx) => {
    const body = await jsonObject(c);
    if (!body.ok) return body.res;
    const parsed = validate(c, schema, body.value);
    if (!parsed.ok) return parsed.res;
    const { policy, expectedVersion, comment } = parsed.value;
    const v = expectedVersionOf(c, expectedVersion);
    if (!v.ok) return v.res;
    const r = await deps.policy.update(c.get('actor'), policy, { expectedVersion: v.expected, comment });
    if (r.ok) return c.json(policyVersionJson(r.value), 200, etag(r.value.version));
    if (r.reason === 'conflict') return versionConflict(c, v, (await deps.policy.current()).version, { precondition: 'api.error.preconditionFailed', conflict: 'api.error.policyConflict' });
    return apiError(c, 'invalid_input', t('api.error.invalidInput'), fieldTexts(r.errors, undefined, 'policy.'));
  };
  app.put('/policy', requireWrite, changePolicy(putPolicyBody));
  app.patch('/policy', requireWrite, changePolicy(patchPolicyBody));

  app.get('/policy/versions', async (c) => {
    const q = query(c, versionsQuery);
    if (!q.ok) return q.res;
    const items = await deps.policy.history(q.value.limit ?? 50);
    return c.json({ items: items.map(policyVersionJson) });
  });

  app.get('/policy/versions/:n', async (c) => {
    const n = versionParam.safeParse(c.req.param('n'));
    if (!n.success) return apiError(c, 'invalid_input', t('api.error.invalidInput'), { n: t('api.v.integer') });
    const v = await deps.policy.version(n.data);
    if (!v) return apiError(c, 'not_found', t('api.error.policyVersionNotFound'));
    return c.json(policyVersionJson(v));
  });

  // ---- users ----
  app.get('/users', async (c) => {
    const q = query(c, usersQuery);
    if (!q.ok) return q.res;
    const page = await deps.users.list({ q: q.value.q, page: q.value.page ?? 1, pageSize: q.value.pageSize ?? 25 });
    return c.json({ items: page.items.map(userJson), total: page.total, page: page.page, pageSize: page.pageSize });
  });

  app.get('/users/:username', async (c) => {
    const user = await deps.users.byUsername(c.req.param('username'));
    if (!user) return apiError(c, 'not_found', t('users.notFound'));
    const [groups, block] = await Promise.all([deps.groups.groupsOfUser(user.id), deps.notMe.block(user.id)]);
    const selfServiceBlock = block ? { reportedEvent: block.reportedEvent, reportedEventAt: new Date(block.reportedEventAt).toISOString(), blockedAt: new Date(block.blockedAt).toISOString() } : null;
    return c.json({ ...userJson(user), groups: groups.map((g) => ({ id: g.id, name: g.name, direct: g.direct })), selfServiceBlock });
  });

  // A token acts as an administrator (ADMIN_VIEWER): it sees every user, masked like the helpdesk does.
  app.get('/users/:username/support', async (c) => {
    const user = await deps.users.byUsername(c.req.param('username'));
    if (!user) return apiError(c, 'not_found', t('users.notFound'));
    return c.json(supportViewJson(await deps.support.view(ADMIN_VIEWER, user), t));
  });

  app.post('/users', requireWrite, async (c) => {
    const body = await jsonObject(c);
    if (!body.ok) return body.res;
    const parsed = validate(c, createUserBody, body.value, passwordVars());
    if (!parsed.ok) return parsed.res;
    const v = parsed.value;
    const r = await deps.directory.createUser(c.get('actor'), { username: v.username, displayName: v.displayName, email: v.email ?? '', roles: v.roles ?? ['user'], password: v.password ?? '' });
    if (!r.ok) return refusal(c, r, passwordVars());
    return c.json(userJson(r.value), 201, { Location: `/api/v1/users/${encodeURIComponent(r.value.username)}` });
  });

  app.patch('/users/:username', requireWrite, async (c) => {
    const user = await deps.users.byUsername(c.req.param('username'));
    if (!user) return apiError(c, 'not_found', t('users.notFound'));
    const body = await jsonObject(c);
    if (!body.ok) return body.res;
    const parsed = validate(c, updateUserBody, body.value);
    if (!parsed.ok) return parsed.res;
    const { displayName, email, roles } = parsed.value;
    const profile = { ...(displayName !== undefined ? { displayName } : {}), ...(email !== undefined ? { email: email ?? '' } : {}) };
    // Everything that can refuse is asked before anything changes: a hybrid user's profile, then the roles.
    if (Object.keys(profile).length && user.source === 'onprem') return apiError(c, 'refused', t('users.refuse.onpremProfile'));
    if (roles !== undefined) {
      const r = await deps.directory.setRoles(c.get('actor'), user.id, roles);
      if (!r.ok) return refusal(c, r);
    }
    if (Object.keys(profile).length) {
      const r = await deps.directory.updateProfile(c.get('actor'), user.id, profile);
      if (!r.ok) return refusal(c, r);
    }
    return c.json(userJson((await deps.users.byUsername(user.username))!));
  });

  for (const [action, enabled] of [['disable', false], ['enable', true]] as const) {
    app.post(`/users/:username/${action}`, requireWrite, async (c) => {
      const user = await deps.users.byUsername(c.req.param('username'));
      if (!user) return apiError(c, 'not_found', t('users.notFound'));
      const r = await deps.directory.setEnabled(c.get('actor'), user.id, enabled);
      return r.ok ? c.json(userJson(r.value)) : refusal(c, r);
    });
  }

  app.post('/users/:username/require-change', requireWrite, async (c) => {
    const user = await deps.users.byUsername(c.req.param('username'));
    if (!user) return apiError(c, 'not_found', t('users.notFound'));
    const body = await jsonObject(c);
    if (!body.ok) return body.res;
    const parsed = validate(c, requireChangeBody, body.value);
    if (!parsed.ok) return parsed.res;
    const r = await deps.hybridAccounts.requireChange(c.get('actor'), user, parsed.value.mustChange);
    return r.ok ? c.json(userJson(r.value)) : refusal(c, r);
  });

  // A cloud user's password in the portal, a hybrid user's written back to AD (with must-change, if asked).
  app.post('/users/:username/reset-password', requireWrite, async (c) => {
    const user = await deps.users.byUsername(c.req.param('username'));
    if (!user) return apiError(c, 'not_found', t('users.notFound'));
    const body = await jsonObject(c);
    if (!body.ok) return body.res;
    const parsed = validate(c, resetPasswordBody, body.value, passwordVars());
    if (!parsed.ok) return parsed.res;
    const password = parsed.value.password ?? generatePassword();
    const r = await deps.hybridAccounts.resetPassword(c.get('actor'), user, { password, ...(parsed.value.mustChange ? { mustChange: true } : {}) });
    if (!r.ok) return refusal(c, r, passwordVars());
    return c.json({ user: userJson(r.value), ...(parsed.value.generate ? { password } : {}) });
  });

  app.post('/users/:username/self-service/unblock', requireWrite, async (c) => {
    const user = await deps.users.byUsername(c.req.param('username'));
    if (!user) return apiError(c, 'not_found', t('users.notFound'));
    const r = await deps.notMe.lift(c.get('actor'), user.id);
    return r.ok ? c.json(userJson(user)) : refusal(c, r);
  });

  // ---- caller verification (the helpdesk's check of who is calling) ----
  app.post('/users/:username/verification', requireWrite, async (c) => {
    const body = await jsonObject(c);
    if (!body.ok) return body.res;
    const parsed = validate(c, verificationStartBody, body.value);
    if (!parsed.ok) return parsed.res;
    const r = await deps.verifications.start(verifierOf(c), c.req.param('username'), parsed.value);
    if (!r.ok) return refusal(c, r);
    return c.json({ id: r.value.id, methodType: r.value.methodType, sentTo: r.value.sentTo, expiresAt: new Date(r.value.expiresAt).toISOString() });
  });

  app.post('/users/:username/verification/:id/check', requireWrite, async (c) => {
    const body = await jsonObject(c);
    if (!body.ok) return body.res;
    const parsed = validate(c, verificationCheckBody, body.value);
    if (!parsed.ok) return parsed.res;
    const r = await deps.verifications.check(verifierOf(c), c.req.param('username'), c.req.param('id'), parsed.value.code);
    if (!r.ok) return refusal(c, r);
    const { verified, verifiedUntil, message } = r.value;
    return c.json({ verified, verifiedUntil: verifiedUntil === null ? null : new Date(verifiedUntil).toISOString(), message: message === null ? null : t(message) });
  });
  // ---- support actions (src/api/support-action-routes.ts) ----
  supportActionApi(app, deps.supportActions, { jsonObject, validate, refusal });

  // ---- password rules (the rules themselves are the policy's `passwords` section) ----
  app.post('/passwords/check', async (c) => {
    const body = await jsonObject(c);
    if (!body.ok) return body.res;
    const parsed = validate(c, passwordCheckBody, body.value);
    if (!parsed.ok) return parsed.res;
    const { password, username } = parsed.value;
    const user = username === undefined ? null : await deps.users.byUsername(username);
    if (username !== undefined && !user) return apiError(c, 'not_found', t('users.notFound'));
    const verdict = await deps.directory.testPassword(password, user ?? {});
    const vars = passwordVars();
    return c.json({
      accepted: verdict.ok,
      user: user?.username ?? null,
      reasons: verdict.reasons.map((r) => ({ code: r.key.replace(/^v\.password\./, ''), message: t(r.key, { ...vars, ...r.values }) })),
      breachCount: verdict.breachCount ?? null,
      score: verdict.score,
    });
  });

  // ---- groups ----
  app.get('/groups', async (c) => c.json({ items: (await deps.groups.list()).map(groupJson) }));
  groupApi(app, deps, { jsonObject, validate, refusal });
  settingsApi(app, deps, { jsonObject, validate });
  brandApi(app, deps, { jsonObject, validate });
  opsApi(app, { ...deps.ops, settings: deps.settings }, { jsonObject, validate });

  // ---- audit ----
  app.get('/audit', async (c) => {
    const q = query(c, auditQuery);
    if (!q.ok) return q.res;
    const { pageSize, ...filter } = q.value;
    const result = await deps.audit.query({ ...filter, page: filter.page ?? 1 }, pageSize ?? 50);
    return c.json({ items: result.items.map(auditEventJson), total: result.total, page: result.page, pageSize: result.pageSize });
  });

  // Anything else: 405 for a known address with another method, 404 otherwise, in the API's own shape.
  app.all('*', (c) => {
    const allowed = allowedMethods(app, c.req.path.slice(c.req.path.indexOf('/api/v1') + '/api/v1'.length) || '/');
    if (allowed.length) return apiError(c, 'method_not_allowed', t('api.error.methodNotAllowed', { method: c.req.method, allowed: allowed.join(', ') }), undefined, { Allow: allowed.join(', ') });
    return apiError(c, 'not_found', t('api.error.notFound'));
  });

  app.onError((err, c) => {
    if (err instanceof HTTPException && err.status < 500) return apiError(c, err.status === 404 ? 'not_found' : 'invalid_input', err.message || t('api.error.invalidInput'));
    deps.logger.error({ err }, 'api request failed');
    return apiError(c, 'internal', t('api.error.internal'));
  });
  return app;
}

/** The methods registered for a path (route templates like /users/:username match any one segment). */
function allowedMethods(app: Hono<ApiEnv>, path: string): string[] {
  const methods = new Set<string>();
  for (const r of app.routes) {
    if (r.method === 'ALL') continue;
    const pattern = new RegExp(`^${r.path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\/:[A-Za-z_]\w*/g, '/[^/]+')}/?$`);
    if (pattern.test(path)) methods.add(r.method);
  }
  return [...methods].sort();
}
